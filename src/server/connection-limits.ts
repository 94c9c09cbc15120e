import type { Socket } from 'node:net';
import { peerOf } from './peer-identity.js';

/** Where an inbound connection is in its life, as {@link ConnectionLimits} counts it. */
export const ConnectionStage = {
  /** Accepted; its TLS handshake or preamble is not done yet. */
  Preamble: 'preamble',
  /** A membership connection this server serves. */
  Membership: 'membership',
  /** A raft stream, waiting for `accept()` or handed out to raft. */
  Raft: 'raft',
  /** Closed, or refused and no longer counted. */
  Gone: 'gone',
} as const;

/** One of {@link ConnectionStage}'s values. */
export type ConnectionStage = (typeof ConnectionStage)[keyof typeof ConnectionStage];

/** An inbound connection as the limits see it: from accept until it closes. */
export interface Inbound {
  /** The accepted TCP socket (under TLS, the one the TLS socket wraps). */
  readonly raw: Socket;
  /** Its peer, by {@link peerOf}. */
  readonly peer: string;
  stage: ConnectionStage;
}

/** How many inbound connections there are, by stage. */
export interface ConnectionCounts {
  /** Accepted, TLS handshake or preamble not done yet. */
  readonly preamble: number;
  /** Membership connections served. */
  readonly membership: number;
  /** Raft streams waiting for `accept()` or handed out to raft, until they close. */
  readonly raft: number;
  /** Refused connections kept open for a moment so that their refusal reaches the peer. */
  readonly refusing: number;
}

/** The limits {@link ConnectionLimits} enforces. */
export interface ConnectionLimitOptions {
  readonly maxConnections: number;
  readonly maxConnectionsPerPeer: number;
  readonly raftReservedConnections: number;
}

/**
 * The one place that counts inbound connections, per stage and per peer,
 * and says when one is refused: every connection from accept until it
 * closes, raft streams included after they are handed to raft. The last
 * `raftReservedConnections` of `maxConnections` are for raft streams: a
 * flood of membership connections cannot keep the cluster's own traffic out.
 */
export class ConnectionLimits {
  readonly #options: ConnectionLimitOptions;
  readonly #perPeer = new Map<string, number>();
  #total = 0;
  #membership = 0;
  #raft = 0;

  constructor(options: ConnectionLimitOptions) {
    this.#options = options;
  }

  /** Connections counted now: every stage. */
  get total(): number {
    return this.#total;
  }

  /** The counts by stage, `refusing` as the caller knows it. */
  counts(refusing: number): ConnectionCounts {
    return { preamble: this.#total - this.#membership - this.#raft, membership: this.#membership, raft: this.#raft, refusing };
  }

  /** Connections counted for `peer` now. */
  countOf(peer: string): number {
    return this.#perPeer.get(peer) ?? 0;
  }

  /**
   * Counts a connection just accepted, in its preamble; or, when it may not
   * be served, returns why (the peer is told `busy`).
   */
  admit(raw: Socket): Inbound | string {
    const peer = peerOf(raw.remoteAddress);
    if (this.#total >= this.#options.maxConnections) return 'too many connections';
    const count = this.countOf(peer);
    if (count >= this.#options.maxConnectionsPerPeer) return 'too many connections from this address';
    this.#perPeer.set(peer, count + 1);
    this.#total += 1;
    return { raw, peer, stage: ConnectionStage.Preamble };
  }

  /**
   * Its preamble chose the membership channel: counts it there, or returns
   * why it is refused (membership may not use the slots kept for raft).
   */
  toMembership(inbound: Inbound): string | undefined {
    if (this.#membership >= this.#options.maxConnections - this.#options.raftReservedConnections) return 'too many membership connections';
    this.#membership += 1;
    inbound.stage = ConnectionStage.Membership;
    return undefined;
  }

  /** Its preamble chose the raft channel: it stays counted as a raft stream until it closes. */
  toRaft(inbound: Inbound): void {
    this.#raft += 1;
    inbound.stage = ConnectionStage.Raft;
  }

  /** It closed, or was refused: it counts no more. Safe to call twice. */
  release(inbound: Inbound): void {
    if (inbound.stage === ConnectionStage.Gone) return;
    if (inbound.stage === ConnectionStage.Membership) this.#membership -= 1;
    else if (inbound.stage === ConnectionStage.Raft) this.#raft -= 1;
    inbound.stage = ConnectionStage.Gone;
    this.#total -= 1;
    const left = this.countOf(inbound.peer) - 1;
    if (left > 0) this.#perPeer.set(inbound.peer, left);
    else this.#perPeer.delete(inbound.peer);
  }
}
