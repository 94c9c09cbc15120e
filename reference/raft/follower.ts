/**
 * Reference raft engine (not part of the published API): the receiving side
 * of AppendEntries and RequestVote, as functions of the node's state.
 */
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import { InvalidMessageError } from '../../src/protocol/errors.js';
import { isVoter, type Configuration } from './configuration.js';
import type { RaftLog } from './log.js';
import { RpcType, type AppendEntriesRequest, type AppendEntriesResult, type RequestVoteRequest, type RequestVoteResult } from './messages.js';
import type { RaftStorage } from './storage.js';

/** The parts of a node the handlers read and change. */
export interface FollowerContext {
  readonly log: RaftLog;
  readonly storage: RaftStorage;
  commitIndex(): number;
  latest(): Configuration;
  /** True while a leader was heard from within the minimum election timeout (or this is the leader). */
  heardFromLeaderRecently(): boolean;
  /** Adopts a higher term as a follower. */
  observeTerm(term: number): void;
  /** Follows `leaderId` in the current term: becomes follower, records the contact, restarts the election timer. */
  followLeader(leaderId: ServerID, leaderAddress: ServerAddress): void;
  setCommitIndex(index: number): void;
  /** The log's configuration entries changed (appended or truncated). */
  configurationChanged(): void;
  resetElectionTimer(): void;
}

/** §5.3, with a hint for the leader's fast back-off on failure. */
export function handleAppendEntries(ctx: FollowerContext, request: AppendEntriesRequest): AppendEntriesResult {
  const { log, storage } = ctx;
  const answer = (success: boolean, matchIndex: number, nextIndexHint: number): AppendEntriesResult => ({
    type: RpcType.AppendEntriesResult,
    term: storage.currentTerm,
    success,
    matchIndex,
    nextIndexHint,
  });
  if (request.term < storage.currentTerm) return answer(false, 0, 0);
  ctx.observeTerm(request.term);
  ctx.followLeader(request.leaderId, request.leaderAddress);

  const { prevLogIndex } = request;
  if (prevLogIndex > log.lastIndex) return answer(false, 0, log.lastIndex + 1);
  if (log.termAt(prevLogIndex) !== request.prevLogTerm) {
    // Skip the whole conflicting term at once, but never below the commit point.
    return answer(false, 0, Math.max(ctx.commitIndex() + 1, log.firstIndexOfTerm(prevLogIndex)));
  }

  // Entries already held are skipped; from the first one that is not, the rest is new.
  const { entries } = request;
  const first = entries.findIndex((entry) => log.termAt(entry.index) !== entry.term);
  const fresh = first < 0 ? [] : entries.slice(first);
  let configurationTouched = false;
  if (fresh.length > 0) {
    const from = fresh[0]!.index;
    if (from <= log.lastIndex) {
      if (from <= ctx.commitIndex()) throw new InvalidMessageError(`leader tried to overwrite committed entry ${from}`);
      // A truncated suffix may hold a configuration entry: roll it back too.
      configurationTouched = ctx.latest().index >= from;
      log.truncateFrom(from);
    }
    log.append(fresh);
    configurationTouched ||= fresh.some((entry) => entry.servers !== undefined);
  }
  if (configurationTouched) ctx.configurationChanged();

  const matchIndex = prevLogIndex + request.entries.length;
  const commit = Math.min(request.leaderCommit, matchIndex);
  if (commit > ctx.commitIndex()) ctx.setCommitIndex(commit);
  return answer(true, matchIndex, 0);
}

/**
 * §5.2 and §5.4.1, plus the two guards of dissertation §4.2.3 and §9.6: no
 * vote while a leader is known to be alive (unless the leader itself asked
 * for the election), and none for a server that is not a voter here. A
 * pre-vote changes nothing on this server.
 */
export function handleRequestVote(ctx: FollowerContext, request: RequestVoteRequest): RequestVoteResult {
  const { log, storage } = ctx;
  const answer = (granted: boolean): RequestVoteResult => ({ type: RpcType.RequestVoteResult, term: storage.currentTerm, granted });
  if (request.term < storage.currentTerm) return answer(false);
  if (!isVoter(ctx.latest(), request.candidateId)) return answer(false);
  if (!request.leadershipTransfer && ctx.heardFromLeaderRecently()) return answer(false);
  const upToDate = log.isUpToDate(request.lastLogIndex, request.lastLogTerm);
  if (request.preVote) return answer(upToDate && request.term > storage.currentTerm);
  ctx.observeTerm(request.term);
  if ((storage.votedFor !== null && storage.votedFor !== request.candidateId) || !upToDate) return answer(false);
  storage.setTermAndVote(storage.currentTerm, request.candidateId);
  ctx.resetElectionTimer();
  return answer(true);
}
