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

  /**
   * Settles once every tracked socket has emitted `'close'`. Every socket
   * still here has not (it leaves on that event); `socket.closed` is no
   * test, as `destroy()` sets it before the handle is closed.
   */
  closed(): Promise<void> {
    const waits = [...this.#open].map((socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())));
    return Promise.all(waits).then(() => undefined);
  }
}
