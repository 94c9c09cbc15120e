import type { Socket } from 'node:net';

/**
 * Sockets not yet closed, so that a `close()` can settle once they all
 * are: each leaves the set on its own `'close'` event.
 */
export class SocketSet {
  readonly #open = new Set<Socket>();

  /** Tracks `socket` until it closes (a bound method, for `openSocket`'s hook). */
  readonly add = (socket: Socket): void => {
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
  };

  /** Stops tracking `socket`: it is someone else's now. */
  delete(socket: Socket): void {
    this.#open.delete(socket);
  }

  /** Settles once every tracked socket has closed. */
  closed(): Promise<void> {
    const waits = [...this.#open].map((socket) => (socket.closed ? undefined : new Promise<void>((resolve) => socket.once('close', () => resolve()))));
    return Promise.all(waits).then(() => undefined);
  }
}
