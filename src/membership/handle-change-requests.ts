import { ChangeLoop, IteratorSource, feedSource, type ChangeLoopSettings } from './change-loop.js';
import type { ChangeRequest } from './change-request.js';
import { loggerOption, type Logger } from './logger.js';
import { checkOptionKeys, invalidOption, optionsObject, timeoutValue } from './option-checks.js';
import type { Raft } from './raft.js';
import { REQUEST_FEED, isFeedSource } from './request-feed.js';

/** Options of {@link handleChangeRequests}. */
export interface HandleChangeRequestsOptions {
  /**
   * How long raft may take to commit each change: passed to raft's call,
   * and the bound on it. A call not settled by then is answered `timeout`
   * (outcome unknown) and the loop goes on with the next request.
   * @default 10000
   */
  readonly timeoutMs?: number;
  /**
   * Stops the loop: the returned promise resolves promptly, even while a
   * raft call hangs, and a change raft is still making is answered
   * `timeout` (its outcome is unknown).
   */
  readonly signal?: AbortSignal;
  /**
   * Where failed raft calls are reported: an error raft throws that is not
   * one of this library's (a bug, a crashed raft) at `error`, a call that
   * outlived `timeoutMs` at `warn`, refusals (not the leader, rejected) at
   * `debug`. `NODE_DEBUG=raft-membership` prints them too, with or
   * without a logger. @default silent
   */
  readonly logger?: Logger;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Applies each request to `raft`, in order, until `requests` ends or
 * `options.signal` aborts (Go: `HandleChangeRequests`). On the leader a
 * join becomes `addVoter` (or `addNonvoter`) and a leave `removeServer`;
 * elsewhere the request fails with {@link DifferentLeaderError} naming the
 * leader, or {@link UnknownLeaderError} while none is known. Every request
 * is done exactly once; a failing one never stops the loop, and a raft call
 * that outlives `timeoutMs` is answered `timeout` without holding it.
 * Requests already done when their turn comes (their client gave up) are
 * skipped without touching raft.
 *
 * Given a `MembershipServer`'s `requests`, it also tells the server which
 * raft it serves, so that the server answers `members` requests from
 * `raft.configuration()` and redirects them to the leader without further
 * calls.
 *
 * The promise resolves when the loop stops (an abort is a way to stop it,
 * not a failure, so a `void handleChangeRequests(…)` cannot crash the
 * process); it rejects only when `requests` itself throws, or at once for an
 * invalid option.
 *
 * ```ts
 * const server = new MembershipServer();
 * await server.listen(7000, '0.0.0.0');
 * const handling = handleChangeRequests(raft, server.requests, { timeoutMs: 5_000 });
 * // …
 * await server.close(); // ends server.requests, so the loop returns
 * await handling;
 * ```
 */
export function handleChangeRequests(
  raft: Raft,
  requests: AsyncIterable<ChangeRequest>,
  options: HandleChangeRequestsOptions = {},
): Promise<void> {
  let settings: ChangeLoopSettings;
  try {
    checkRaft(raft);
    if (typeof (requests as Partial<AsyncIterable<unknown>> | null)?.[Symbol.asyncIterator] !== 'function') {
      throw invalidOption('requests', 'an async iterable of ChangeRequests (server.requests)', requests);
    }
    settings = resolveLoopOptions(options);
  } catch (err) {
    return Promise.reject(err);
  }
  const source = isFeedSource(requests) ? feedSource(requests[REQUEST_FEED](raft)) : new IteratorSource(requests);
  return new ChangeLoop(raft, source, settings).run();
}

/** The options checked, defaults filled in. */
function resolveLoopOptions(given: HandleChangeRequestsOptions): ChangeLoopSettings {
  const options: HandleChangeRequestsOptions = optionsObject('handleChangeRequests options', given);
  checkOptionKeys('handleChangeRequests options', options, resolveLoopOptions);
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidOption('signal', 'an AbortSignal', signal);
  return {
    timeoutMs: timeoutValue('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    signal,
    logger: loggerOption(options.logger),
  };
}

/** The methods every raft must have: the others are optional. */
const RAFT_METHODS = ['state', 'leader', 'addVoter', 'removeServer'] as const;

function checkRaft(raft: Raft): void {
  if (typeof raft !== 'object' || raft === null) throw invalidOption('raft', 'an object with the Raft methods (state, leader, addVoter, removeServer)', raft);
  for (const method of RAFT_METHODS) {
    if (typeof raft[method] !== 'function') throw invalidOption(`raft.${method}`, 'a function', raft[method]);
  }
}
