import { DifferentLeaderError, NotLeaderError, UnknownLeaderError } from './errors.js';
import type { Raft } from './raft.js';

/**
 * What a peer is told for a failure on this server: a lost leadership
 * becomes the leader's address (or "unknown"), anything else stays as is.
 */
export function translate(raft: Pick<Raft, 'leader'>, caught: unknown): Error {
  if (caught instanceof NotLeaderError) {
    const leader = raft.leader();
    return leader === '' ? new UnknownLeaderError({ cause: caught }) : new DifferentLeaderError(leader, { cause: caught });
  }
  return caught instanceof Error ? caught : new Error(String(caught));
}
