import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatAddress, parseAddress } from '../../../src/index.js';
import type { StreamLayer } from '../../../reference/raft/stream-layer.js';

/**
 * A plain `node:net` StreamLayer on 127.0.0.1, port 0, for the reference
 * raft tests: it listens, queues accepted sockets, dials with a timeout, and
 * `close()` destroys everything it opened.
 */
export class TcpStreamLayer implements StreamLayer {
  readonly address: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #queue: Socket[] = [];
  readonly #waiting: { resolve: (stream: Duplex) => void; reject: (error: Error) => void }[] = [];
  /** How many times each address was dialed. */
  readonly dials = new Map<string, number>();
  #closed = false;
  #refusing = false;

  private constructor(server: Server) {
    this.#server = server;
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('not a TCP server');
    this.address = formatAddress(bound.address, bound.port);
    server.on('connection', (socket) => {
      if (this.#closed || this.#refusing) return void socket.destroy();
      this.#track(socket);
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(socket);
      else this.#queue.push(socket);
    });
  }

  /** Listens on a free loopback port. */
  static listen(): Promise<TcpStreamLayer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(new TcpStreamLayer(server)));
    });
  }

  dial(address: string, timeoutMs: number): Promise<Duplex> {
    if (this.#closed) return Promise.reject(new Error('stream layer closed'));
    this.dials.set(address, (this.dials.get(address) ?? 0) + 1);
    const { host, port } = parseAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      this.#track(socket);
      const timer = setTimeout(() => fail(new Error(`dial ${address} timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', fail);
        resolve(socket);
      });
    });
  }

  accept(): Promise<Duplex> {
    const socket = this.#queue.shift();
    if (socket) return Promise.resolve(socket);
    if (this.#closed) return Promise.reject(new Error('stream layer closed'));
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /**
   * While `on`, drops every connection as it comes and those not yet
   * accepted: a stopped node's layer then holds nothing a restart would read.
   */
  refuse(on: boolean): void {
    this.#refusing = on;
    if (on) for (const socket of this.#queue.splice(0)) socket.destroy();
  }

  /** Stops listening, destroys every socket, rejects pending accepts. */
  close(): Promise<void> {
    this.#closed = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#queue.length = 0;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('stream layer closed'));
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: Socket): void {
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }
}
