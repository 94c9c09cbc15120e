import { fail, pass, type Verdict } from '../case.js';
import { describeRun, type DialerRun } from './dialer.js';
import type { ScriptListener } from './script-server.js';

/**
 * Small judgments on a dialer run, each the text of what is wrong or
 * undefined when all is well, so that a case can chain them and report the
 * first problem.
 */

/** The call must have succeeded (exit 0 within the deadline). */
export function succeeded(run: DialerRun): string | undefined {
  return run.exitCode === 0 ? undefined : `the call failed: the dialer ${describeRun(run)}${stderrTail(run)}`;
}

/** The call must have failed (a non-zero exit, within the deadline). */
export function failed(run: DialerRun): string | undefined {
  if (run.killed || run.exitCode === undefined) return `the dialer ${describeRun(run)}`;
  return run.exitCode !== 0 ? undefined : 'the call succeeded';
}

/** The dialer must have ended by its deadline (plus the grace), whatever its exit. */
export function ended(run: DialerRun): string | undefined {
  return run.killed || run.exitCode === undefined ? `the dialer ${describeRun(run)}` : undefined;
}

/** The dialer must have opened exactly `n` connections to `listener`. */
export function connections(listener: ScriptListener, n: number, what = 'connections'): string | undefined {
  const seen = listener.connections.length;
  return seen === n ? undefined : `${seen} ${what} where ${n} ${n === 1 ? 'was' : 'were'} expected${seen > n ? ': it tried again' : ''}`;
}

/**
 * The dialer must have sent exactly `n` requests of the call's kind
 * (`join` unless said; an invalid request counts too) to `listener`; with
 * `n` 0, no request of any kind.
 */
export function requests(listener: ScriptListener, n: number, call: 'join' | 'leave' | 'members' = 'join'): string | undefined {
  const seen = listener.requests.filter((r) => n === 0 || r.request === undefined || r.request.type === call).length;
  return seen === n ? undefined : `${seen} requests where ${n} ${n === 1 ? 'was' : 'were'} expected${seen > n ? ': it sent the request again' : ''}`;
}

/** The dialer must have reported `index` (undefined: no index, absent or null). */
export function reportedIndex(run: DialerRun, index: number | undefined): string | undefined {
  if (run.result === undefined) return 'the dialer printed no JSON result line (see the dialer contract)';
  const got = run.result.index ?? undefined;
  return got === index ? undefined : `it reported index ${JSON.stringify(got)}, not ${index === undefined ? 'none' : index}`;
}

/** The dialer must have closed connection `at` of `listener` (after a response it could not decode). */
export function closedConnection(listener: ScriptListener, at = 0): string | undefined {
  const log = listener.connections[at];
  if (!log) return `no connection ${at + 1}`;
  return log.closedByDialer ? undefined : `it kept connection ${at + 1} open`;
}

/** The verdict: the first problem, or `ok`. */
export function judge(ok: string, ...problems: (string | undefined)[]): Verdict {
  const problem = problems.find((p) => p !== undefined);
  return problem === undefined ? pass(ok) : fail(problem);
}

function stderrTail(run: DialerRun): string {
  const last = run.stderr.trim().split('\n').slice(-1)[0];
  return last ? ` (${last.slice(0, 200)})` : '';
}
