/**
 * Reference raft engine (not part of the published API): standing for
 * election — the election timer, pre-vote, then the vote itself.
 */
import type { RaftState } from '../../src/membership/raft.js';
import type { ServerID } from '../../src/membership/types.js';
import type { Configuration } from './configuration.js';
import { collectVotes } from './election.js';
import type { RaftLog } from './log.js';
import { RpcType, type RequestVoteResult } from './messages.js';
import type { Peer } from './peer.js';

/** What a candidacy needs from its node. */
export interface CandidacyHost {
  readonly id: ServerID;
  readonly electionTimeoutMs: number;
  readonly log: RaftLog;
  term(): number;
  state(): RaftState;
  closed(): boolean;
  started(): boolean;
  latest(): Configuration;
  /** True when this server may stand for election (see `RaftNode`). */
  mayCampaign(): boolean;
  peer(id: ServerID): Peer | undefined;
  /** When a leader was last heard from (`performance.now()`); a change means one was heard meanwhile. */
  lastLeaderContact(): number;
  /** Adopts a higher term seen in an answer, as a follower. */
  observeTerm(term: number): void;
  /** Starts the next term as candidate, voting for itself; restarts the election timer. */
  becomeCandidate(): void;
  becomeLeader(): void;
}

/**
 * The election timer of a voter that does not lead, and the campaign it
 * starts when the timer fires (or when a leader hands over with TimeoutNow).
 */
export class Candidacy {
  readonly #host: CandidacyHost;
  #electionTimer: NodeJS.Timeout | undefined;

  constructor(host: CandidacyHost) {
    this.#host = host;
  }

  /** Restarts the election timer with a random timeout in `[t, 2t]`. */
  resetTimer(): void {
    const host = this.#host;
    clearTimeout(this.#electionTimer);
    this.#electionTimer = undefined;
    if (host.closed() || !host.started() || host.state() === 'leader' || !host.mayCampaign()) return;
    const timeout = host.electionTimeoutMs * (1 + Math.random());
    // Campaigns only after the sockets are read (setImmediate): after a
    // stall the timer runs first, and the leader's heartbeat may be unread.
    this.#electionTimer = setTimeout(() => setImmediate(() => this.#timerFired()), timeout);
  }

  /** The election timeout passed with no word from a leader, unless one came in the sockets just read. */
  #timerFired(): void {
    if (this.#host.closed() || this.#host.state() === 'leader') return;
    if (performance.now() - this.#host.lastLeaderContact() < this.#host.electionTimeoutMs) return this.resetTimer();
    void this.campaign(false);
  }

  stopTimer(): void {
    clearTimeout(this.#electionTimer);
  }

  /**
   * Pre-vote first (unless a leader asked us to take over): nobody's term
   * moves unless a majority would vote for us, so a server cut off or
   * removed from the cluster cannot disrupt it.
   */
  async campaign(transfer: boolean): Promise<void> {
    const host = this.#host;
    if (host.closed() || host.state() === 'leader' || !host.mayCampaign()) return;
    if (!transfer) {
      const term = host.term();
      const contact = host.lastLeaderContact();
      this.resetTimer();
      const wouldWin = await collectVotes(host.latest(), host.id, (id) => this.#askVote(id, term + 1, true, false), (r) => host.observeTerm(r.term));
      if (!wouldWin || host.term() !== term || host.lastLeaderContact() !== contact) return;
    }
    if (host.closed() || host.state() === 'leader') return;
    host.becomeCandidate();
    const term = host.term();
    const won = await collectVotes(host.latest(), host.id, (id) => this.#askVote(id, term, false, transfer), (r) => host.observeTerm(r.term));
    if (won && host.state() === 'candidate' && host.term() === term && !host.closed()) host.becomeLeader();
  }

  #askVote(id: ServerID, term: number, preVote: boolean, leadershipTransfer: boolean): Promise<RequestVoteResult> {
    const host = this.#host;
    const peer = host.peer(id);
    if (!peer) return Promise.reject(new Error(`no peer ${id}`));
    const { lastIndex: lastLogIndex, lastTerm: lastLogTerm } = host.log;
    return peer.client.request(
      { type: RpcType.RequestVote, term, candidateId: host.id, lastLogIndex, lastLogTerm, preVote, leadershipTransfer },
      host.electionTimeoutMs,
    );
  }
}
