/**
 * Reference raft engine: NOT part of the published API of raft-membership.
 * It exists so that the end-to-end tests and the demo run real raft servers
 * over the library's transport. See ./README.md.
 */
import type { Duplex } from 'node:stream';
import { parseAddress } from '../../src/membership/address.js';
import { ChangeRejectedError, InvalidOptionError, MembershipTimeoutError, NotLeaderError, ShuttingDownError } from '../../src/membership/errors.js';
import type { ConfigurationServer, Raft, RaftState } from '../../src/membership/raft.js';
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import { Candidacy, type CandidacyHost } from './candidate.js';
import { ChangeQueue, type ChangeHost } from './changes.js';
import { EMPTY_CONFIGURATION, mayCampaign, type Configuration } from './configuration.js';
import { Conditions } from './conditions.js';
import { EntryKind, RaftLog } from './log.js';
import { MAX_ID_LENGTH, RpcType, type RpcRequest, type RpcResponse } from './messages.js';
import { handleAppendEntries, handleRequestVote, type FollowerContext } from './follower.js';
import { acceptStreams } from './inbound.js';
import { Leadership, type LeadershipHost } from './leader.js';
import { resolveOptions, type RaftLogger, type RaftNodeOptions, type StateChange } from './options.js';
import { PeerSet } from './peer-set.js';
import type { RaftStorage } from './storage.js';
import type { StreamLayer } from './stream-layer.js';

export type { RaftLogger, RaftNodeOptions, StateChange } from './options.js';

/**
 * A raft server: leader election with pre-vote, log replication, and
 * single-server membership changes. Implements the library's {@link Raft}.
 */
export class RaftNode implements Raft {
  readonly id: ServerID;
  readonly address: ServerAddress;
  readonly electionTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly frameTimeoutMs: number;
  readonly #layer: StreamLayer;
  readonly #storage: RaftStorage;
  readonly #log: RaftLog;
  readonly #logger: RaftLogger;
  readonly #conditions = new Conditions();
  readonly #changes: ChangeQueue;
  readonly #peers: PeerSet;
  readonly #inbound = new Set<Duplex>();
  readonly #listeners = new Set<(change: StateChange) => void>();
  readonly #follower: FollowerContext;
  readonly #candidacy: Candidacy;
  readonly #leadership: Leadership;
  #state: RaftState = 'follower';
  #leaderId: ServerID = '';
  #leaderAddress: ServerAddress = '';
  #lastLeaderContact = Number.NEGATIVE_INFINITY;
  #commitIndex = 0;
  #latest: Configuration = EMPTY_CONFIGURATION;
  #committed: Configuration = EMPTY_CONFIGURATION;
  #started = false;
  #closed = false;
  /** Aborts the pending accept() on close. */
  readonly #closing = new AbortController();
  #lastEmitted = '';

  constructor(options: RaftNodeOptions) {
    const resolved = resolveOptions(options);
    this.id = resolved.id;
    this.address = resolved.address;
    this.electionTimeoutMs = resolved.electionTimeoutMs;
    this.heartbeatMs = resolved.heartbeatMs;
    this.frameTimeoutMs = resolved.frameTimeoutMs;
    this.#layer = resolved.layer;
    this.#storage = resolved.storage;
    this.#log = new RaftLog(this.#storage);
    this.#logger = resolved.logger;
    this.#peers = new PeerSet({
      id: this.id,
      address: this.address,
      layer: this.#layer,
      log: this.#log,
      electionTimeoutMs: this.electionTimeoutMs,
      heartbeatMs: this.heartbeatMs,
      maxBackoffMs: resolved.maxBackoffMs,
      commitIndex: () => this.#commitIndex,
      ownMatchIndex: () => this.#leadership.durableIndex,
      isLeader: (term) => this.#isLeader(term),
      onAppendResult: (term, result) => {
        this.#observeTerm(result.term);
        if (this.#isLeader(term)) this.#leadership.advanceCommit();
        this.#conditions.notify();
      },
    });
    this.#changes = new ChangeQueue(this.#changeHost());
    this.#follower = this.#followerContext();
    this.#candidacy = new Candidacy(this.#candidacyHost());
    this.#leadership = new Leadership(this.#leadershipHost());
  }

  /** The current term (durable). */
  get term(): number {
    return this.#storage.currentTerm;
  }

  get commitIndex(): number {
    return this.#commitIndex;
  }

  get lastIndex(): number {
    return this.#log.lastIndex;
  }

  state(): RaftState {
    return this.#state;
  }

  leader(): ServerAddress {
    return this.#leaderAddress;
  }

  /** The latest configuration, committed or not: the one in force. */
  configuration(): ConfigurationServer[] {
    return [...this.#latest.servers];
  }

  /** The index of the latest configuration's entry (0: none). */
  get configurationIndex(): number {
    return this.#latest.index;
  }

  /** The latest committed configuration as this server knows it. */
  committedConfiguration(): ConfigurationServer[] {
    return [...this.#committed.servers];
  }

  /** Calls `listener` on every change of state, term or known leader; returns the unsubscribe function. */
  onStateChange(listener: (change: StateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Makes this server the first of a new cluster: a configuration with
   * itself as the only voter, at index 1 of term 1. Only on an empty
   * storage, before `start()`.
   */
  bootstrap(): void {
    if (this.#started || this.#storage.currentTerm !== 0 || this.#log.lastIndex !== 0) {
      throw new InvalidOptionError('bootstrap needs a fresh storage and a node that was not started');
    }
    this.#storage.setTermAndVote(1, null);
    this.#log.append([{ index: 1, term: 1, kind: EntryKind.Configuration, servers: [{ id: this.id, address: this.address, role: 'voter' }] }]);
    this.#storage.sync();
    this.#latest = this.#log.configurationAt(1);
  }

  /** Starts accepting streams and, if this server is a voter, its election timer. */
  start(): void {
    if (this.#closed || this.#started) throw new InvalidOptionError('a RaftNode starts once, before close()');
    this.#started = true;
    this.#latest = this.#log.configurationAt(this.#log.lastIndex);
    this.#syncPeers();
    void acceptStreams(this.#layer, this.#closing.signal, this.#inbound, {
      handle: (request) => this.#handle(request),
      onError: (error) => this.#logger('warn', `${this.id}: closing a stream: ${error.message}`),
      frameTimeoutMs: this.frameTimeoutMs,
    });
    this.#candidacy.resetTimer();
    this.#emit();
  }

  /** Stops timers, destroys streams, rejects waiting calls with ShuttingDownError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.abort();
    this.#state = 'shutdown';
    this.#candidacy.stopTimer();
    this.#leadership.stopTimers();
    this.#peers.closeAll();
    for (const stream of this.#inbound) stream.destroy();
    this.#inbound.clear();
    this.#conditions.notify();
    this.#emit();
  }

  /** Appends `command` as leader; resolves to its index once committed. */
  async apply(command: unknown, timeoutMs: number): Promise<number> {
    const term = this.#assertLeader();
    const index = this.#leadership.append({ kind: EntryKind.Command, command });
    await this.#waitUntil(
      term,
      () => this.#commitIndex >= index,
      performance.now() + timeoutMs,
      () => new MembershipTimeoutError(`entry ${index} not committed within ${timeoutMs} ms; it may still commit`),
      () => new MembershipTimeoutError(`raft node closed before entry ${index} committed; it may still commit`),
    );
    return index;
  }

  addVoter(id: ServerID, address: ServerAddress, prevIndex: number, timeoutMs: number): Promise<number> {
    return this.#change({ op: 'add', id, address, role: 'voter' }, prevIndex, timeoutMs);
  }

  addNonvoter(id: ServerID, address: ServerAddress, prevIndex: number, timeoutMs: number): Promise<number> {
    return this.#change({ op: 'add', id, address, role: 'nonvoter' }, prevIndex, timeoutMs);
  }

  /** Removes `id`. When `id` is this leader, it commits the removal, hands leadership to a voter, then steps down. */
  removeServer(id: ServerID, prevIndex: number, timeoutMs: number): Promise<number> {
    return this.#change({ op: 'remove', id }, prevIndex, timeoutMs);
  }

  async #change(...args: Parameters<ChangeQueue['run']>): Promise<number> {
    const [change] = args;
    // Peers refuse longer ids on the wire (messages.ts): such an entry could never replicate.
    if (change.id.length === 0 || change.id.length > MAX_ID_LENGTH) throw new ChangeRejectedError(`server id must be 1 to ${MAX_ID_LENGTH} characters`);
    if (change.op === 'add') parseAddress(change.address);
    this.#assertLeader();
    return this.#changes.run(...args);
  }

  // ---- state transitions -------------------------------------------------

  #assertLeader(): number {
    if (this.#closed) throw new ShuttingDownError('raft node is closed');
    if (this.#state !== 'leader' || this.#leadership.handingOff) throw new NotLeaderError();
    return this.term;
  }

  #isLeader(term: number): boolean {
    return !this.#closed && this.#state === 'leader' && this.term === term;
  }

  /** A new term, with no vote yet (or this server's own, as candidate): durable before anything is sent in it. */
  #setTerm(term: number, votedFor: ServerID | null = null): void {
    this.#storage.setTermAndVote(term, votedFor);
    this.#storage.sync();
  }

  /** Adopts a higher term seen in any message, as a follower. */
  #observeTerm(term: number): void {
    if (term <= this.term || this.#closed) return;
    this.#setTerm(term);
    this.#leaderId = '';
    this.#leaderAddress = '';
    this.#becomeFollower();
  }

  #becomeFollower(): void {
    if (this.#state === 'leader') {
      this.#leadership.end();
      this.#leaderId = '';
      this.#leaderAddress = '';
    }
    this.#state = 'follower';
    this.#candidacy.resetTimer();
    this.#emit();
    this.#conditions.notify();
  }

  #becomeCandidate(): void {
    this.#setTerm(this.term + 1, this.id);
    this.#state = 'candidate';
    this.#leaderId = '';
    this.#leaderAddress = '';
    this.#candidacy.resetTimer();
    this.#emit();
  }

  #becomeLeader(): void {
    this.#state = 'leader';
    this.#leaderId = this.id;
    this.#leaderAddress = this.address;
    this.#candidacy.stopTimer();
    this.#leadership.begin();
    this.#emit();
  }

  #heardFromLeaderRecently(): boolean {
    if (this.#state === 'leader') return true;
    return this.#leaderId !== '' && performance.now() - this.#lastLeaderContact < this.electionTimeoutMs;
  }

  // ---- log, commit, configuration ----------------------------------------

  #setCommitIndex(index: number): void {
    this.#commitIndex = index;
    const committed = this.#latest.index <= index ? this.#latest : this.#log.configurationAt(index);
    if (committed !== this.#committed) {
      this.#committed = committed;
      this.#syncPeers();
    }
    this.#conditions.notify();
  }

  /** The latest configuration is the last one in the log; it is in force from the moment it is appended. */
  #configurationChanged(): void {
    this.#latest = this.#log.configurationAt(this.#log.lastIndex);
    this.#syncPeers();
    this.#candidacy.resetTimer();
  }

  #syncPeers(): void {
    if (!this.#closed) this.#peers.sync(this.#latest, this.#committed);
  }

  /**
   * Waits for `check` as leader of `term`. Closing rejects with `onClosed()`:
   * by default a ShuttingDownError, which says nothing was changed; a wait
   * for an entry already appended passes an error that says its outcome is
   * unknown, since the next leader may still commit it.
   */
  #waitUntil(term: number, check: () => boolean, deadline: number, onTimeout: () => Error, onClosed: () => Error = closedBeforeAnyChange): Promise<void> {
    return this.#conditions.wait(
      () => {
        if (this.#closed) throw onClosed();
        if (check()) return true;
        if (!this.#isLeader(term)) throw new NotLeaderError('leadership lost before the entry committed');
        return undefined;
      },
      deadline - performance.now(),
      onTimeout,
    ).then(() => undefined);
  }

  // ---- streams and RPCs ---------------------------------------------------

  /** Answers `request` once what it changed (a vote, entries) is durable. */
  #handle(request: RpcRequest): RpcResponse {
    if (this.#closed) throw new ShuttingDownError('raft node closed');
    const answer = this.#dispatch(request);
    this.#storage.sync();
    return answer;
  }

  #dispatch(request: RpcRequest): RpcResponse {
    switch (request.type) {
      case RpcType.AppendEntries:
        return handleAppendEntries(this.#follower, request);
      case RpcType.RequestVote:
        // A server we could not reach is back: a leader need not wait out its back-off.
        this.#peers.get(request.candidateId)?.reachable();
        return handleRequestVote(this.#follower, request);
      case RpcType.TimeoutNow: {
        this.#observeTerm(request.term);
        const answer = { type: RpcType.TimeoutNowResult, term: this.term } as const;
        if (request.term === this.term && this.#state !== 'leader') void this.#candidacy.campaign(true);
        return answer;
      }
    }
  }

  #emit(): void {
    const change: StateChange = { id: this.id, state: this.#state, term: this.term, leaderId: this.#leaderId, leader: this.#leaderAddress };
    const key = `${change.state}|${change.term}|${change.leaderId}`;
    if (key === this.#lastEmitted) return;
    this.#lastEmitted = key;
    for (const listener of [...this.#listeners]) listener(change);
  }

  // ---- the views that the helpers get of this node -------------------------

  #followerContext(): FollowerContext {
    return {
      log: this.#log,
      storage: this.#storage,
      commitIndex: () => this.#commitIndex,
      latest: () => this.#latest,
      heardFromLeaderRecently: () => this.#heardFromLeaderRecently(),
      observeTerm: (term) => this.#observeTerm(term),
      followLeader: (leaderId, leaderAddress) => {
        this.#lastLeaderContact = performance.now();
        const changed = this.#leaderId !== leaderId;
        this.#leaderId = leaderId;
        this.#leaderAddress = leaderAddress;
        if (this.#state !== 'follower') this.#becomeFollower();
        else this.#candidacy.resetTimer();
        if (changed) this.#emit();
      },
      setCommitIndex: (index) => this.#setCommitIndex(index),
      configurationChanged: () => this.#configurationChanged(),
      resetElectionTimer: () => this.#candidacy.resetTimer(),
    };
  }

  #changeHost(): ChangeHost {
    return {
      id: this.id,
      electionTimeoutMs: this.electionTimeoutMs,
      waitReady: async (deadline) => {
        const term = this.#assertLeader();
        await this.#waitUntil(
          term,
          () => this.#commitIndex >= this.#leadership.readyIndex && this.#commitIndex >= this.#latest.index,
          deadline,
          () => new MembershipTimeoutError('timed out waiting for the previous configuration change to commit'),
        );
        return this.#assertLeader();
      },
      latest: () => this.#latest,
      lastIndex: () => this.#log.lastIndex,
      commitIndex: () => this.#commitIndex,
      stage: (_term, id, address) => {
        this.#peers.stage(id, address);
        this.#syncPeers();
        return {
          matchIndex: () => this.#peers.get(id)?.matchIndex ?? 0,
          lastContact: () => this.#peers.get(id)?.lastContact ?? 0,
          lastFailure: () => this.#peers.get(id)?.lastFailure,
        };
      },
      unstage: (id) => {
        this.#peers.unstage(id);
        this.#syncPeers();
      },
      waitUntil: (term, check, deadline, onTimeout, onClosed) => this.#waitUntil(term, check, deadline, onTimeout, onClosed),
      appendConfiguration: (term, servers) => {
        if (this.#assertLeader() !== term) throw new NotLeaderError();
        return this.#leadership.append({ kind: EntryKind.Configuration, servers });
      },
      handOff: (term, deadline) => this.#leadership.handOff(term, deadline),
    };
  }

  #candidacyHost(): CandidacyHost {
    return {
      id: this.id,
      electionTimeoutMs: this.electionTimeoutMs,
      log: this.#log,
      term: () => this.term,
      state: () => this.#state,
      closed: () => this.#closed,
      started: () => this.#started,
      latest: () => this.#latest,
      mayCampaign: () => mayCampaign(this.id, this.#latest, this.#committed, this.#commitIndex),
      peer: (id) => this.#peers.get(id),
      lastLeaderContact: () => this.#lastLeaderContact,
      observeTerm: (term) => this.#observeTerm(term),
      becomeCandidate: () => this.#becomeCandidate(),
      becomeLeader: () => this.#becomeLeader(),
    };
  }

  #leadershipHost(): LeadershipHost {
    return {
      id: this.id,
      electionTimeoutMs: this.electionTimeoutMs,
      heartbeatMs: this.heartbeatMs,
      log: this.#log,
      peers: this.#peers,
      logger: this.#logger,
      term: () => this.term,
      state: () => this.#state,
      isLeader: (term) => this.#isLeader(term),
      latest: () => this.#latest,
      commitIndex: () => this.#commitIndex,
      setCommitIndex: (index) => this.#setCommitIndex(index),
      configurationChanged: () => this.#configurationChanged(),
      waitUntil: (term, check, deadline, onTimeout) => this.#waitUntil(term, check, deadline, onTimeout),
      stepDown: () => this.#becomeFollower(),
    };
  }
}

/** What a wait rejects with when the node closes before anything was appended. */
function closedBeforeAnyChange(): Error {
  return new ShuttingDownError('raft node closed');
}
