import type { ServerAddress } from '../membership/types.js';
import { ShuttingDownError } from '../membership/errors.js';
import { Channel } from '../protocol/preamble.js';
import { ClientConnection } from './client-connection.js';
import type { ResolvedClientOptions } from './client-options.js';
import { openSocket } from './open-socket.js';
import type { PlainTargets } from './tls-mismatch.js';
import type { CallProgress, CallSignal, DialProgress } from './call-deadline.js';
import { SocketSet } from './socket-set.js';

interface TargetPool {
  readonly connections: ClientConnection[];
  /** Dials under way, shared by every caller that needs a connection now. */
  dialing: Promise<ClientConnection> | undefined;
  /** How far that dial got. */
  progress: DialProgress | undefined;
}

/**
 * Membership connections per target, reused across calls: a caller gets
 * the least busy open connection, and a new one is dialed only while the
 * target has fewer than `connectionsPerTarget`. Closed connections drop out
 * and are replaced on the next call.
 */
export class ConnectionPool {
  readonly #options: ResolvedClientOptions;
  readonly #pools = new Map<ServerAddress, TargetPool>();
  /** Aborts dials under way when the pool closes. */
  readonly #closing = new AbortController();
  #closed = false;
  /** Every socket the pool opened that has not closed yet. */
  readonly #sockets = new SocketSet();

  /** The client's memory of targets that speak no TLS, shared with its raft dials. */
  readonly #plainTargets: PlainTargets;

  constructor(options: ResolvedClientOptions, plainTargets: PlainTargets) {
    this.#options = options;
    this.#plainTargets = plainTargets;
  }

  /** A ready connection to `target`, dialing one if needed; `progress` learns of the dial it waits on. */
  acquire(target: ServerAddress, call: CallSignal, progress?: CallProgress): Promise<ClientConnection> {
    if (this.#closed) return Promise.reject(new ShuttingDownError('client is closed'));
    const ready = this.ready(target);
    if (ready) return Promise.resolve(ready);
    let pool = this.#pools.get(target);
    if (!pool) {
      pool = { connections: [], dialing: undefined, progress: undefined };
      this.#pools.set(target, pool);
    }
    // Only a dial needs a real AbortSignal: the call makes one now.
    const dialing = this.#dial(target, pool, call.abortSignal);
    if (progress) progress.dial = pool.progress;
    return dialing;
  }

  /**
   * The connection to `target` that {@link acquire} would hand out without
   * dialing: the least busy open one, unless a new one should be dialed
   * (the target has room for more and every connection is busy); else
   * `undefined`.
   */
  ready(target: ServerAddress): ClientConnection | undefined {
    const pool = this.#closed ? undefined : this.#pools.get(target);
    if (!pool) return undefined;
    const { connections } = pool;
    let best: ClientConnection | undefined;
    for (let i = 0; i < connections.length; i++) {
      const connection = connections[i]!;
      if (connection.usable && (!best || connection.pending < best.pending)) best = connection;
    }
    if (!best) return undefined;
    if (best.pending === 0 || pool.dialing || connections.length >= this.#options.connectionsPerTarget) return best;
    return undefined;
  }

  /**
   * Closes every connection (pending requests fail with
   * `ShuttingDownError`) and aborts the dials under way; settles once every
   * socket the pool opened has closed.
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort(new ShuttingDownError('client closed'));
    for (const pool of this.#pools.values()) {
      for (const connection of [...pool.connections]) connection.close(new ShuttingDownError('client closed'));
    }
    this.#pools.clear();
    return this.#sockets.closed();
  }

  #dial(target: ServerAddress, pool: TargetPool, signal: AbortSignal): Promise<ClientConnection> {
    if (!pool.dialing) {
      // The shared dial is bounded by the caller that started it; a caller
      // whose own signal fires stops waiting but does not cancel it for others.
      const dialSignal = AbortSignal.any([signal, this.#closing.signal]);
      const progress: DialProgress = { connected: false };
      const dialing = openSocket(target, Channel.Membership, this.#options, dialSignal, { progress, onSocket: this.#sockets.add, plainTargets: this.#plainTargets }).then((socket) => {
        const connection = new ClientConnection(target, socket, this.#options, (closed) => this.#forget(target, closed));
        if (this.#closed) connection.close(new ShuttingDownError('client closed'));
        else pool.connections.push(connection);
        return connection;
      });
      pool.dialing = dialing;
      pool.progress = progress;
      const clear = (): void => {
        if (pool.dialing !== dialing) return;
        pool.dialing = undefined;
        pool.progress = undefined;
      };
      dialing.then(clear, clear);
      this.#options.logger.debug?.('dialing', { target });
    }
    return raceAbort(pool.dialing, signal);
  }

  #forget(target: ServerAddress, connection: ClientConnection): void {
    const pool = this.#pools.get(target);
    if (!pool) return;
    const at = pool.connections.indexOf(connection);
    if (at >= 0) pool.connections.splice(at, 1);
    if (pool.connections.length === 0 && !pool.dialing) this.#pools.delete(target);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
