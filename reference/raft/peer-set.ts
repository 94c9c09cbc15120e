/**
 * Reference raft engine (not part of the published API): the set of peers a
 * node talks to, and the leader's view across them.
 */
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import { isQuorum, isVoter, type Configuration } from './configuration.js';
import { RpcClient } from './connection.js';
import { MAX_BATCH_ENTRIES, batchLength } from './limits.js';
import type { RaftLog } from './log.js';
import { RpcType, type AppendEntriesRequest, type AppendEntriesResult } from './messages.js';
import { Peer, type PeerHost } from './peer.js';
import { RecentPeers } from './recent-peers.js';
import type { StreamLayer } from './stream-layer.js';

/** What the peers need from their node. */
export interface PeerSetContext {
  readonly id: ServerID;
  readonly address: ServerAddress;
  readonly layer: StreamLayer;
  readonly log: RaftLog;
  readonly electionTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly maxBackoffMs: number;
  commitIndex(): number;
  /** How much of its own log this node, as leader, knows to be durable. */
  ownMatchIndex(): number;
  isLeader(term: number): boolean;
  onAppendResult(term: number, result: AppendEntriesResult): void;
}

/**
 * One {@link Peer} per other server of the latest or committed
 * configuration, plus servers being caught up before they join.
 */
export class PeerSet {
  readonly #ctx: PeerSetContext;
  readonly #peers = new Map<ServerID, Peer>();
  /** Servers being caught up, outside any configuration. */
  readonly #staged = new Map<ServerID, ServerAddress>();
  readonly #host: PeerHost;
  readonly #recent: RecentPeers;
  /** The term this node leads in, 0 when it does not. */
  #leaderTerm = 0;

  constructor(ctx: PeerSetContext) {
    this.#ctx = ctx;
    this.#recent = new RecentPeers(10 * ctx.electionTimeoutMs);
    this.#host = {
      heartbeatMs: ctx.heartbeatMs,
      rpcTimeoutMs: ctx.electionTimeoutMs,
      maxBackoffMs: ctx.maxBackoffMs,
      isLeader: (term) => ctx.isLeader(term),
      lastIndex: () => ctx.log.lastIndex,
      appendRequest: (peer, term) => this.#appendRequest(peer, term),
      onAppendResult: (_peer, term, result) => ctx.onAppendResult(term, result),
    };
  }

  get(id: ServerID): Peer | undefined {
    return this.#peers.get(id);
  }

  /** The peer's match index; for the leader itself, the durable end of its log. */
  matchIndex(id: ServerID): number {
    return id === this.#ctx.id ? this.#ctx.ownMatchIndex() : (this.#peers.get(id)?.matchIndex ?? 0);
  }

  /** Adds and removes peers to fit the configurations; a changed address gets a new connection. */
  sync(latest: Configuration, committed: Configuration): void {
    const wanted = new Map<ServerID, ServerAddress>();
    for (const server of [...committed.servers, ...latest.servers]) wanted.set(server.id, server.address);
    for (const [id, address] of this.#staged) wanted.set(id, address);
    wanted.delete(this.#ctx.id);
    for (const [id, peer] of this.#peers) {
      if (wanted.get(id) === peer.address) continue;
      this.#recent.depart(id, peer.release(), this.#leaderTerm ? peer.matchIndex : 0);
      this.#peers.delete(id);
    }
    for (const [id, address] of wanted) {
      if (this.#peers.has(id)) continue;
      const client = this.#recent.takeClient(address) ?? new RpcClient(address, this.#ctx.layer, this.#ctx.electionTimeoutMs);
      const peer = new Peer(id, address, client, this.#host);
      this.#peers.set(id, peer);
      if (this.#leaderTerm) peer.startReplication(this.#leaderTerm, this.#firstGuess(id, address));
    }
  }

  /**
   * Where replication to a server new to this leader starts, so that it is
   * caught up in one round trip when possible: after what it held when it
   * left, if it left recently; from the first entry when the whole log fits
   * one AppendEntries (an empty joiner of a young cluster); otherwise by
   * probing back from the end of the log.
   */
  #firstGuess(id: ServerID, address: ServerAddress): number {
    const { log } = this.#ctx;
    const held = this.#recent.matchIndex(id, address);
    if (held > 0) return Math.min(held, log.lastIndex) + 1;
    return batchLength(log.slice(1, MAX_BATCH_ENTRIES)) === log.lastIndex ? 1 : log.lastIndex + 1;
  }

  /** Replicates to `id` at `address` even though it is in no configuration (catch-up). */
  stage(id: ServerID, address: ServerAddress): void {
    this.#staged.set(id, address);
  }

  unstage(id: ServerID): void {
    this.#staged.delete(id);
  }

  startReplication(term: number): void {
    this.#leaderTerm = term;
    for (const peer of this.#peers.values()) peer.startReplication(term);
  }

  stopReplication(): void {
    this.#leaderTerm = 0;
    for (const peer of this.#peers.values()) peer.stopReplication();
  }

  /** Ends every heartbeat wait: there is something new to send. */
  kick(): void {
    for (const peer of this.#peers.values()) peer.kick();
  }

  /** Tells the peers not yet told of commit index `commitIndex`, without waiting for a heartbeat. */
  noticeCommit(commitIndex: number): void {
    for (const peer of this.#peers.values()) peer.noticeCommit(commitIndex);
  }

  closeAll(): void {
    this.#leaderTerm = 0;
    for (const peer of this.#peers.values()) peer.close();
    this.#peers.clear();
    this.#recent.close();
  }

  /** True when the leader (counted if a voter) and the peers that answered within an election timeout make a majority. */
  heardFromQuorum(config: Configuration): boolean {
    const since = performance.now() - this.#ctx.electionTimeoutMs;
    const heard = new Set<ServerID>([this.#ctx.id]);
    for (const peer of this.#peers.values()) if (peer.lastContact >= since) heard.add(peer.id);
    return isQuorum(config, heard);
  }

  /** The voter of `config` with the most of the log: where leadership goes on hand-off. */
  transferTarget(config: Configuration): Peer | undefined {
    const voters = [...this.#peers.values()].filter((peer) => isVoter(config, peer.id));
    return voters.sort((a, b) => b.matchIndex - a.matchIndex)[0];
  }

  #appendRequest(peer: Peer, term: number): AppendEntriesRequest {
    const { log } = this.#ctx;
    const prevLogIndex = Math.min(peer.nextIndex - 1, log.lastIndex);
    const entries = log.slice(prevLogIndex + 1, MAX_BATCH_ENTRIES);
    entries.length = batchLength(entries);
    return {
      type: RpcType.AppendEntries,
      term,
      leaderId: this.#ctx.id,
      leaderAddress: this.#ctx.address,
      prevLogIndex,
      prevLogTerm: log.termAt(prevLogIndex) ?? 0,
      entries,
      leaderCommit: this.#ctx.commitIndex(),
    };
  }
}
