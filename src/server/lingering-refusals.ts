import type { Socket } from 'node:net';
import { DeadlineQueue } from './deadline-queue.js';

/** How long a refused connection is kept for its peer to read the refusal. */
export const REFUSAL_LINGER_MS = 1_000;

/**
 * Refused connections, kept open for a moment so that their refusal reaches
 * the peer (closing at once could reset the connection before the peer has
 * read it), but never more than `max` at once: under a flood of refused
 * reconnects, each would otherwise hold a file descriptor for its whole
 * linger. Past the cap a refused connection is closed at once, its reply
 * written but perhaps lost; the peer sees a reset, which clients retry like
 * `busy`. One timer serves every lingering connection.
 */
export class LingeringRefusals {
  readonly #lingering = new DeadlineQueue<Socket>(REFUSAL_LINGER_MS, (socket) => socket.destroy());
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** Refused connections open now. */
  get size(): number {
    return this.#lingering.size;
  }

  /** Sends `reply` and closes `socket`: once the peer has read it, at the latest after the linger. */
  refuse(socket: Socket, reply: Buffer): void {
    if (socket.destroyed) return;
    socket.end(reply);
    if (this.#lingering.size >= this.#max) {
      socket.destroy();
      return;
    }
    this.#lingering.add(socket);
    socket.once('close', () => this.#lingering.delete(socket));
  }

  /** Closes every lingering connection now (the server is closing). */
  destroyAll(): void {
    for (const socket of this.#lingering.items()) socket.destroy();
    this.#lingering.clear();
  }
}
