import { ChangeRequestKind } from './change-request-kind.js';
import type { ChangeRequest } from './change-request.js';
import { DifferentLeaderError, InvalidOptionError, NotLeaderError, UnknownLeaderError, UnsupportedRoleError } from './errors.js';
import type { Raft } from './raft.js';
import { ServerRole } from './types.js';

/** Options of {@link handleChangeRequests}. */
export interface HandleChangeRequestsOptions {
  /** How long raft may take to commit each change. @default 10000 */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Applies each request to `raft`, in order, until `requests` ends (Go:
 * `HandleChangeRequests`). On the leader a join becomes `addVoter` (or
 * `addNonvoter`) and a leave `removeServer`; elsewhere the request fails with
 * {@link DifferentLeaderError} naming the leader, or
 * {@link UnknownLeaderError} while none is known. Every request is done
 * exactly once; a failing one never stops the loop.
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
export async function handleChangeRequests(
  raft: Raft,
  requests: AsyncIterable<ChangeRequest>,
  options: HandleChangeRequestsOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new InvalidOptionError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  for await (const request of requests) {
    // Timed out or abandoned while queued: its client has its answer already.
    if (request.isDone) continue;
    let err: Error | null = null;
    let index: number | undefined;
    try {
      const result = await apply(raft, request, timeoutMs);
      if (typeof result === 'number') index = result;
    } catch (caught) {
      err = translate(raft, caught);
    }
    // Someone else (a transport timing it out, say) may have finished it.
    if (!request.isDone) request.done(err, index);
  }
}

function apply(raft: Raft, request: ChangeRequest, timeoutMs: number): Promise<void | number> {
  if (raft.state() !== 'leader') throw new NotLeaderError();
  if (request.kind === ChangeRequestKind.Leave) return raft.removeServer(request.id, 0, timeoutMs);
  if (request.role === ServerRole.Voter) return raft.addVoter(request.id, request.address, 0, timeoutMs);
  if (!raft.addNonvoter) throw new UnsupportedRoleError(request.role);
  return raft.addNonvoter(request.id, request.address, 0, timeoutMs);
}

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
