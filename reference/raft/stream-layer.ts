/**
 * Reference raft engine (not part of the published API of raft-membership):
 * the one thing it needs from a transport.
 */
import type { Duplex } from 'node:stream';

/**
 * Where raft gets its byte streams, exactly hashicorp/raft's `StreamLayer`
 * minus `Close`/`Addr`: the engine only dials and accepts, and never closes
 * the layer, which belongs to whoever created it.
 */
export interface StreamLayer {
  /** Opens a stream to the raft server at `address` ("host:port", IPv6 "[::1]:port"); rejects on failure or after timeoutMs. */
  dial(address: string, timeoutMs: number): Promise<Duplex>;
  /**
   * The next stream a peer opened to us; rejects once the layer is closed,
   * or with `signal.reason` when `signal` aborts (so a closed node does not
   * take a stream meant for its successor on the same layer).
   */
  accept(signal?: AbortSignal): Promise<Duplex>;
}
