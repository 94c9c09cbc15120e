import { DifferentLeaderError, NotLeaderError, UnknownLeaderError } from './errors.js';
import type { Raft } from './raft.js';

/**
 * What a peer is told for a failure on this server: a lost leadership
 * becomes the leader's address (or "unknown"), anything else stays as is.
 */
export function translate(raft: Pick<Raft, 'leader'>, caught: unknown): Error {
  if (caught instanceof NotLeaderError) return redirect(raft, { cause: caught });
  return caught instanceof Error ? caught : new Error(String(caught));
}

/**
 * The answer of a server that is not the leader: the leader's address, or
 * "unknown" (`options.cause`: the NotLeaderError raft threw, if it did).
 * Made without a stack trace: it is an answer, not a fault, given as often
 * as requests come (a flood of them at a follower), and a stack would cost
 * more than the rest of the answer and tell nobody anything.
 */
export function redirect(raft: Pick<Raft, 'leader'>, options?: ErrorOptions): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const leader = raft.leader();
    return leader === '' ? new UnknownLeaderError(options) : new DifferentLeaderError(leader, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
