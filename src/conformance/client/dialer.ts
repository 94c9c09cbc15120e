import { spawn } from 'node:child_process';
import type { ServerAddress } from '../../membership/types.js';

/** What the dialer under test is asked to do, once. */
export interface DialerInvocation {
  /** The case being played (for the dialer's logs). */
  readonly caseName: string;
  /** The call to make. */
  readonly operation: 'join' | 'leave' | 'members';
  /** The server to ask (the kit's scripted server). */
  readonly target: ServerAddress;
  /** The server id to join or leave. */
  readonly id: string;
  /** The joining server's address (join). */
  readonly address: ServerAddress;
  /** The joining server's role (join). */
  readonly role: 'voter' | 'nonvoter';
  /** The cluster name to send ('' for none). */
  readonly clusterName: string;
  /** The shared secret, when the case gives one. */
  readonly secret: Uint8Array | undefined;
  /** A file holding exactly the secret's bytes, when the case gives one. */
  readonly secretFile: string | undefined;
  /** A CA file (PEM) to trust, when the kit serves TLS. */
  readonly tlsCaFile: string | undefined;
  /** The call's deadline: the dialer must have ended by then. */
  readonly timeoutMs: number;
}

/** How a dialer run ended. */
export interface DialerOutcome {
  /** 0 for success; anything else for a failed call. */
  readonly exitCode: number;
  /** What it printed; its last line that is a JSON object is its result (index, members). */
  readonly stdout?: string;
}

/**
 * A dialer the kit can run in-process: JS implementations (and this
 * library's own tests) pass one instead of a command. It must settle by
 * the invocation's deadline; `signal` aborts it when the kit gives up.
 */
export type DialerFunction = (invocation: DialerInvocation, signal: AbortSignal) => Promise<DialerOutcome>;

/** What the kit saw of one run. */
export interface DialerRun {
  /** The exit code; undefined when the kit had to stop a dialer that outlived its deadline. */
  readonly exitCode: number | undefined;
  /** The dialer outlived its deadline by more than the grace and was stopped. */
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** The last JSON object line of stdout, if any. */
  readonly result: DialerResult | undefined;
}

/** What a dialer reports on success (the dialer contract, docs/conformance.md). */
export interface DialerResult {
  readonly index?: unknown;
  readonly members?: unknown;
}

/** The environment variables of the dialer contract. */
export function dialerEnvironment(invocation: DialerInvocation): Record<string, string> {
  return {
    RFTM_CONFORMANCE_CASE: invocation.caseName,
    RFTM_CONFORMANCE_OPERATION: invocation.operation,
    RFTM_CONFORMANCE_TARGET: invocation.target,
    RFTM_CONFORMANCE_ID: invocation.id,
    RFTM_CONFORMANCE_ADDRESS: invocation.address,
    RFTM_CONFORMANCE_ROLE: invocation.role,
    RFTM_CONFORMANCE_CLUSTER: invocation.clusterName,
    RFTM_CONFORMANCE_TIMEOUT_MS: String(invocation.timeoutMs),
    ...(invocation.secretFile === undefined ? {} : { RFTM_CONFORMANCE_SECRET_FILE: invocation.secretFile }),
    ...(invocation.tlsCaFile === undefined ? {} : { RFTM_CONFORMANCE_TLS_CA: invocation.tlsCaFile }),
  };
}

const MAX_OUTPUT = 1024 * 1024;

/** Runs the dialer once: a command (with the contract's environment) or an in-process function. */
export async function runDialer(dialer: readonly string[] | DialerFunction, invocation: DialerInvocation, graceMs: number): Promise<DialerRun> {
  const began = performance.now();
  const done = (exitCode: number | undefined, killed: boolean, stdout: string, stderr: string): DialerRun => ({
    exitCode,
    killed,
    stdout,
    stderr,
    durationMs: Math.round(performance.now() - began),
    result: lastJsonObject(stdout),
  });
  if (typeof dialer === 'function') {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), invocation.timeoutMs + graceMs);
    });
    try {
      const outcome = await Promise.race([dialer(invocation, abort.signal), late]);
      if (outcome === 'late') {
        abort.abort(new Error('the dialer outlived its deadline'));
        return done(undefined, true, '', '');
      }
      return done(outcome.exitCode, false, outcome.stdout ?? '', '');
    } catch (err) {
      return done(undefined, false, '', `the dialer function threw: ${(err as Error)?.stack ?? String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  const [command, ...args] = dialer;
  return new Promise((resolve) => {
    const child = spawn(command!, args, { env: { ...process.env, ...dialerEnvironment(invocation) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk.toString('utf8');
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, invocation.timeoutMs + graceMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve(done(undefined, false, stdout, `${stderr}could not start ${command}: ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(done(killed ? undefined : (code ?? undefined), killed, stdout, stderr));
    });
  });
}

/** The last line of `text` that parses as a JSON object. */
function lastJsonObject(text: string): DialerResult | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const value: unknown = JSON.parse(lines[i]!);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as DialerResult;
    } catch {
      // not JSON: an earlier line may be
    }
  }
  return undefined;
}

/** Says how a run ended, for reports. */
export function describeRun(run: DialerRun): string {
  if (run.killed) return `did not end within its deadline (stopped after ${run.durationMs} ms)`;
  if (run.exitCode === undefined) return `could not run: ${run.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
  return `exited ${run.exitCode} after ${run.durationMs} ms`;
}
