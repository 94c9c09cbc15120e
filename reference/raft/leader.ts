/**
 * Reference raft engine (not part of the published API): leadership —
 * taking office with a no-op, appending and committing as leader,
 * check-quorum, and handing leadership over on self-removal.
 */
import type { RaftState } from '../../src/membership/raft.js';
import type { ServerID } from '../../src/membership/types.js';
import { isVoter, quorumMatchIndex, type Configuration } from './configuration.js';
import { EntryTooLargeError, MAX_ENTRY_BYTES, entryBytes } from './limits.js';
import { EntryKind, type LogEntry, type RaftLog } from './log.js';
import { RpcType } from './messages.js';
import type { RaftLogger } from './options.js';
import type { PeerSet } from './peer-set.js';

/** What leadership needs from its node. Deadlines are `performance.now()` values. */
export interface LeadershipHost {
  readonly id: ServerID;
  readonly electionTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly log: RaftLog;
  readonly peers: PeerSet;
  readonly logger: RaftLogger;
  term(): number;
  state(): RaftState;
  /** True while this node is open and leads in `term`. */
  isLeader(term: number): boolean;
  latest(): Configuration;
  commitIndex(): number;
  setCommitIndex(index: number): void;
  /** A configuration entry was appended. */
  configurationChanged(): void;
  /** Resolves once `check()` holds; throws NotLeaderError once this node no longer leads in `term`. */
  waitUntil(term: number, check: () => boolean, deadline: number, onTimeout: () => Error): Promise<void>;
  /** Becomes a follower. */
  stepDown(): void;
}

/** The leader's side of a node: active between `begin()` and `end()`. */
export class Leadership {
  readonly #host: LeadershipHost;
  /** The index of this leader's no-op; changes wait until it commits. */
  #readyIndex = 0;
  /** The hand-off under way, if any: a second caller waits for the same one. */
  #handOff: Promise<void> | undefined;
  #quorumTimer: NodeJS.Timeout | undefined;
  /** The end of the log as of the last sync: what the leader counts for itself. */
  #durableIndex = 0;
  /**
   * Syncs the log once the AppendEntries for what was just appended are on
   * their way (dissertation §10.2.1: the leader writes its log in parallel
   * with replication), then counts the leader's own entries towards a
   * commit: it counts only what is on its disk.
   */
  readonly #syncSoon = onceSoon(() => {
    const host = this.#host;
    // Whoever leads now (this term or a later one) counts what is synced here.
    if (host.state() === 'shutdown') return;
    const last = host.log.lastIndex;
    host.log.sync();
    this.#durableIndex = last;
    this.advanceCommit();
  });
  /**
   * Tells the followers of a new commit index a quarter of a heartbeat
   * after it, not at the next heartbeat, and only those that no request
   * told in the meantime. Changes and commands come in bursts (a join,
   * then the next change): the next one's entries usually carry the commit,
   * and a notice of its own, answered, cost each follower a wake-up and the
   * leader a write and a read, on a machine where every wake-up waits for
   * a CPU. hashicorp/raft waits its `CommitTimeout` (50 ms) for the same.
   */
  #noticeTimer: NodeJS.Timeout | undefined;

  constructor(host: LeadershipHost) {
    this.#host = host;
  }

  get readyIndex(): number {
    return this.#readyIndex;
  }

  /** How much of its own log the leader knows to be durable: its own match index. */
  get durableIndex(): number {
    return this.#durableIndex;
  }

  /** True while handing leadership over: the node takes no new requests. */
  get handingOff(): boolean {
    return this.#handOff !== undefined;
  }

  /** Takes office: the node's state is already `leader`. Replication starts and a no-op is appended at once. */
  begin(): void {
    const host = this.#host;
    // A candidate's log is durable: it synced before each answer as a follower.
    this.#durableIndex = host.log.lastIndex;
    host.peers.startReplication(host.term());
    this.#readyIndex = this.append({ kind: EntryKind.Noop });
    // Checked after the sockets are read (setImmediate): after a stall the
    // timer runs first, and the answers that show a majority may be unread.
    this.#quorumTimer = setInterval(() => setImmediate(() => this.#checkQuorum()), host.electionTimeoutMs);
    host.logger('info', `${host.id} is leader of term ${host.term()}`);
  }

  /** Leaves office: replication and the quorum check stop. */
  end(): void {
    this.#host.peers.stopReplication();
    this.stopTimers();
  }

  /** Stops the quorum check and a commit notice not sent yet. */
  stopTimers(): void {
    clearInterval(this.#quorumTimer);
    clearTimeout(this.#noticeTimer);
    this.#noticeTimer = undefined;
  }

  #noticeCommitSoon(): void {
    this.#noticeTimer ??= setTimeout(() => {
      this.#noticeTimer = undefined;
      const host = this.#host;
      if (host.state() === 'leader') host.peers.noticeCommit(host.commitIndex());
    }, this.#host.heartbeatMs / 4);
  }

  /**
   * Appends `entry` in the current term; resolves to its index. A
   * configuration takes effect at once. Throws {@link EntryTooLargeError}
   * for an entry that would not fit an AppendEntries.
   */
  append(entry: Omit<LogEntry, 'index' | 'term'>): number {
    const { log, peers } = this.#host;
    const index = log.lastIndex + 1;
    const full: LogEntry = { ...entry, index, term: this.#host.term() };
    const bytes = entryBytes(full);
    if (bytes > MAX_ENTRY_BYTES) throw new EntryTooLargeError(`a ${entry.kind} entry of ${bytes} bytes is over the ${MAX_ENTRY_BYTES}-byte limit`);
    log.append([full]);
    if (entry.servers) this.#host.configurationChanged();
    peers.kick();
    this.#syncSoon();
    return index;
  }

  /** Commits what a majority of the latest configuration's voters hold. */
  advanceCommit(): void {
    const host = this.#host;
    if (host.state() !== 'leader') return;
    const match = quorumMatchIndex(host.latest(), (id) => host.peers.matchIndex(id));
    // §5.4.2: only an entry of the leader's own term commits by counting.
    if (match > host.commitIndex() && host.log.termAt(match) === host.term()) {
      host.setCommitIndex(match);
      this.#noticeCommitSoon();
      // Its own removal is committed (as a change it made, or as what it was elected to commit): hand over.
      const latest = host.latest();
      if (!isVoter(latest, host.id) && latest.index <= match) void this.handOff(host.term(), performance.now() + host.electionTimeoutMs);
    }
  }

  /** A leader that has not heard from a majority for an election timeout steps down (check-quorum). */
  #checkQuorum(): void {
    const host = this.#host;
    if (host.state() === 'leader' && !this.handingOff && isVoter(host.latest(), host.id) && !host.peers.heardFromQuorum(host.latest())) {
      host.logger('warn', `${host.id} lost contact with a majority; stepping down`);
      host.stepDown();
    }
  }

  /**
   * Once its own removal has committed, a leader passes leadership to the
   * most up-to-date voter with TimeoutNow (dissertation §3.10) and steps
   * down, so the cluster is not leaderless for an election timeout. A call
   * while one is under way waits for that one.
   */
  handOff(term: number, deadline: number): Promise<void> {
    this.#handOff ??= this.#handOver(term, deadline).finally(() => {
      this.#handOff = undefined;
    });
    return this.#handOff;
  }

  async #handOver(term: number, deadline: number): Promise<void> {
    const host = this.#host;
    try {
      const target = host.peers.transferTarget(host.latest());
      if (target) {
        const wait = Math.min(deadline - performance.now(), host.electionTimeoutMs);
        await host.waitUntil(term, () => target.matchIndex >= host.log.lastIndex, performance.now() + wait, () => new Error('target lagging'));
        await target.client.request({ type: RpcType.TimeoutNow, term, leaderId: host.id }, host.electionTimeoutMs);
        host.logger('info', `${host.id} handed leadership to ${target.id}`);
      }
    } catch (error) {
      // The others elect a leader by themselves after an election timeout.
      host.logger('warn', `${host.id}: leadership hand-off failed: ${(error as Error).message}`);
    }
    if (host.isLeader(term)) host.stepDown();
  }
}

/** A function that runs `task` on the next turn of the event loop, once however often it is called before then. */
function onceSoon(task: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      task();
    });
  };
}
