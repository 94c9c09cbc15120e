import { randomBytes } from 'node:crypto';
import { parseAddress } from '../../membership/address.js';
import { ConformanceSetupError, InvalidOptionError } from '../../membership/errors.js';
import type { ServerAddress } from '../../membership/types.js';
import { summarize, type CaseDefinition, type ConformanceCaseResult, type ConformanceReport } from '../case.js';
import { describeResponse } from '../response-check.js';
import { runCases } from '../run-cases.js';
import { authCases } from './auth-cases.js';
import { changeCases } from './change-cases.js';
import { closingCases } from './closing-cases.js';
import { frameCases } from './frame-cases.js';
import { raftCases } from './raft-cases.js';
import { ask, leaveRequest } from './kit-dialer.js';
import { lifeCases } from './life-cases.js';
import { membersCases } from './members-cases.js';
import { messageCases } from './message-cases.js';
import { deadlineCases } from './deadline-cases.js';
import { preambleCases } from './preamble-cases.js';
import { ChangeLog, ServerContext, type TargetFacts } from './server-context.js';
import { CONFORMANCE_ID_PREFIX, resolveServerConformanceOptions, selects, type ResolvedServerConformanceOptions, type ServerConformanceOptions } from './server-options.js';

/** Every server case, in the order they run (the closing ones last: the target is gone after them). */
export const serverCases: readonly CaseDefinition<ServerContext>[] = [
  ...preambleCases,
  ...deadlineCases,
  ...authCases,
  ...raftCases,
  ...frameCases,
  ...messageCases,
  ...membersCases,
  ...changeCases,
  ...lifeCases,
  ...closingCases,
];

const CLOSING = new Set(closingCases.map((c) => c.name));

/** How long undoing one change may take, elections included. */
const UNDO_MS = 15_000;

/**
 * Runs the server conformance cases against the server at `target`, which
 * should be the leader of its cluster, and resolves to the report. Unless
 * `options.changes` is false, it joins servers with ids starting
 * `rftm-conformance-` and removes them before it resolves (the report's
 * notes say what it did). Rejects with `ConformanceSetupError` when the
 * target cannot be tested at all (no connection, a refused preamble), and
 * with `InvalidOptionError` for a bad option.
 *
 * ```ts
 * const report = await runServerConformance('127.0.0.1:7000', { follower: '127.0.0.1:7001' });
 * if (!report.passed) console.log(report.results.filter((r) => r.outcome === 'FAILED'));
 * ```
 */
export async function runServerConformance(target: ServerAddress, options: ServerConformanceOptions = {}): Promise<ConformanceReport> {
  try {
    parseAddress(target);
  } catch (err) {
    throw new InvalidOptionError(`target: ${(err as Error).message}`);
  }
  const resolved = resolveServerConformanceOptions(options);
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const changes = new ChangeLog(randomBytes(3).toString('hex'), resolved.joinHost);
  const facts = await preflight(target, resolved, changes);
  const notes: string[] = [facts.leads ? `the target leads: it answered a leave of an absent id ${facts.answer}` : `the target does not lead: it answered ${facts.answer}; the cases that need the leader are skipped`];
  const chosen = serverCases.filter((c) => (resolved.only.length === 0 || selects(resolved.only, c.name)) && !selects(resolved.skip, c.name));
  const run = (cases: readonly CaseDefinition<ServerContext>[]): Promise<ConformanceCaseResult[]> =>
    runCases(cases, {
      caseTimeoutMs: Math.max(30_000, resolved.preambleTimeoutMs + (resolved.idleTimeoutMs ?? 0) + 10 * resolved.waitMs),
      ...(resolved.signal ? { signal: resolved.signal } : {}),
      ...(resolved.onResult ? { onResult: resolved.onResult } : {}),
      context: async () => {
        const context = new ServerContext(target, resolved, facts, changes);
        return { context, release: async () => context.release() };
      },
    });
  const results = await run(chosen.filter((c) => !CLOSING.has(c.name)));
  notes.push(...(await undo(target, resolved, facts, changes, [target, ...(resolved.follower ? [resolved.follower] : [])])));
  const closing = chosen.filter((c) => CLOSING.has(c.name));
  if (closing.length > 0 && !resolved.signal?.aborted) {
    results.push(...(await run(closing)));
    if (resolved.closeTarget) notes.push('the target was made to close for the closing cases');
    notes.push(...(await undo(target, resolved, facts, changes, resolved.follower ? [resolved.follower] : [])));
  }
  const summary = summarize(results);
  return {
    side: 'server',
    subject: target,
    startedAt,
    durationMs: Math.round(performance.now() - began),
    results,
    summary,
    passed: summary.failed === 0,
    notes,
  };
}

/** Checks that the target speaks the preamble at all, and whether it leads. */
async function preflight(target: ServerAddress, options: ResolvedServerConformanceOptions, changes: ChangeLog): Promise<TargetFacts> {
  const context = new ServerContext(target, options, { leads: false, answer: '' }, changes);
  try {
    const peer = await context.accepted();
    peer.send(context.harmless(1));
    const got = await context.response(peer);
    if (!got.ok) throw new ConformanceSetupError(`${target} accepted the membership channel but did not answer a request: ${got.observed}`);
    return { leads: got.response.ok === true, answer: describeResponse(got.response) };
  } catch (err) {
    if (err instanceof ConformanceSetupError) throw err;
    throw new ConformanceSetupError(`cannot test ${target}: ${(err as Error).message}`, { cause: err });
  } finally {
    context.release();
  }
}

/** Removes every server the run joined, through `via`; notes what was done. */
async function undo(target: ServerAddress, options: ResolvedServerConformanceOptions, facts: TargetFacts, changes: ChangeLog, via: readonly ServerAddress[]): Promise<string[]> {
  if (changes.joined.size === 0) return [];
  const context = new ServerContext(target, options, facts, changes);
  const ids = [...changes.joined.keys()];
  const left: string[] = [];
  const stuck: string[] = [];
  try {
    for (const id of ids) {
      const answer = via.length === 0 ? 'no server left to ask' : await ask(context, via, leaveRequest(id), 'change', UNDO_MS);
      if (typeof answer !== 'string' && answer.ok === true) {
        left.push(id);
        changes.joined.delete(id);
      } else {
        stuck.push(`${id} (${typeof answer === 'string' ? answer : describeResponse(answer)})`);
      }
    }
  } finally {
    context.release();
  }
  const notes = [`joined ${ids.length} servers with ids ${CONFORMANCE_ID_PREFIX}${changes.token}-*, and removed ${left.length} of them`];
  if (stuck.length > 0) notes.push(`COULD NOT REMOVE: ${stuck.join(', ')}; remove them by hand (raft-membership leave --id ID)`);
  return notes;
}
