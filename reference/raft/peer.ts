/**
 * Reference raft engine (not part of the published API): one other server,
 * its connection, and the leader's replication to it.
 */
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import { Backoff } from './backoff.js';
import type { RpcClient } from './connection.js';
import type { AppendEntriesRequest, AppendEntriesResult } from './messages.js';

/** What a peer's replication loop needs from its node. */
export interface PeerHost {
  readonly heartbeatMs: number;
  readonly rpcTimeoutMs: number;
  /** The longest wait between tries of a server that cannot be reached. */
  readonly maxBackoffMs: number;
  /** True while the node is leader in `term`. */
  isLeader(term: number): boolean;
  lastIndex(): number;
  /** The AppendEntries that sends `peer` what follows `peer.nextIndex - 1`. */
  appendRequest(peer: Peer, term: number): AppendEntriesRequest;
  /** Called after each answer: the node steps down on a higher term, or advances its commit index. */
  onAppendResult(peer: Peer, term: number, result: AppendEntriesResult): void;
}

/**
 * Another server of the cluster. Every node keeps one per server it may
 * talk to (for votes); while leader, it also runs a replication loop per
 * peer: one AppendEntries in flight, the next at once while the peer lags,
 * otherwise a heartbeat every `heartbeatMs`. A peer that cannot be reached
 * is tried again after an exponential back-off (from `heartbeatMs` up to
 * `maxBackoffMs`, with jitter) that new entries do not cut short, so a dead
 * server costs a dial now and then rather than one per heartbeat.
 */
export class Peer {
  /** The next index to send (leader only). */
  nextIndex = 1;
  /** The highest index known to be stored on the peer (leader only). */
  matchIndex = 0;
  /** `performance.now()` of the last answer to an AppendEntries (or of the start of replication). */
  lastContact = 0;
  /** Why the last try failed (the dial's or the request's error), until the peer answers. */
  lastFailure: unknown;
  readonly #host: PeerHost;
  readonly #backoff: Backoff;
  #term = 0;
  /** Ends the current wait. */
  #wake: (() => void) | undefined;
  /** Whether new entries end the current wait: a heartbeat wait, not a back-off. */
  #kickable = false;
  /** Something new (entries, a commit) came since the last request was built: send again without waiting. */
  #kicked = false;
  /** The commit index the last request carried. */
  #sentCommit = 0;

  constructor(
    readonly id: ServerID,
    readonly address: ServerAddress,
    readonly client: RpcClient,
    host: PeerHost,
  ) {
    this.#host = host;
    this.#backoff = new Backoff(host.heartbeatMs, host.maxBackoffMs);
  }

  /** Failed tries in a row (0 once the peer answers). */
  get failures(): number {
    return this.#backoff.failures;
  }

  /** Starts replicating as leader of `term`, from `nextIndex` (by default probing from the end of the leader's log). */
  startReplication(term: number, nextIndex = this.#host.lastIndex() + 1): void {
    this.stopReplication();
    this.#term = term;
    this.nextIndex = nextIndex;
    this.matchIndex = 0;
    this.lastContact = performance.now();
    void this.#replicate(term);
  }

  /** Ends the loop; what is in flight is ignored when it returns. */
  stopReplication(): void {
    this.#term = 0;
    this.#wake?.();
  }

  /** New entries to send: end the heartbeat wait now (not a back-off). */
  kick(): void {
    if (this.#kickable) this.#wake?.();
    else this.#kicked = true;
  }

  /** The leader's commit index is now `commitIndex`: tell this peer at once if its last request carried less. */
  noticeCommit(commitIndex: number): void {
    if (this.#sentCommit < commitIndex) this.kick();
  }

  /** The server was heard from (it asked for a vote): try it again now. */
  reachable(): void {
    this.#backoff.succeed();
    this.#wake?.();
  }

  /** Stops replicating and destroys the connection. */
  close(): void {
    this.stopReplication();
    this.client.close();
  }

  /** Stops replicating and hands the connection over, open, to whoever may reuse it. */
  release(): RpcClient {
    this.stopReplication();
    return this.client;
  }

  #active(term: number): boolean {
    return this.#term === term && this.#host.isLeader(term);
  }

  async #replicate(term: number): Promise<void> {
    const host = this.#host;
    while (this.#active(term)) {
      this.#kicked = false;
      const request = host.appendRequest(this, term);
      this.#sentCommit = request.leaderCommit;
      let result: AppendEntriesResult;
      try {
        result = await this.client.request(request, host.rpcTimeoutMs);
      } catch (err) {
        // Unreachable or broken: back off, never spin.
        this.lastFailure = err;
        await this.#sleep(this.#backoff.fail(), false);
        continue;
      }
      this.lastFailure = undefined;
      this.#backoff.succeed();
      if (!this.#active(term)) return;
      if (result.term === term) {
        this.lastContact = performance.now();
        if (result.success) {
          this.matchIndex = Math.max(this.matchIndex, request.prevLogIndex + request.entries.length);
          this.nextIndex = this.matchIndex + 1;
        } else {
          this.nextIndex = Math.max(1, Math.min(this.nextIndex - 1, result.nextIndexHint));
        }
      }
      host.onAppendResult(this, term, result);
      // Lagging, or told of something new while the request was out (the commit this answer made, say).
      if (result.term === term && (!result.success || this.nextIndex <= host.lastIndex() || this.#kicked)) continue;
      await this.#sleep(host.heartbeatMs, true);
    }
  }

  #sleep(ms: number, kickable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#kickable = kickable;
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#kickable = false;
        resolve();
      };
    });
  }
}
