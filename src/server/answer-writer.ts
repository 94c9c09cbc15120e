import type { Socket } from 'node:net';

/** What an {@link AnswerWriter} tells its connection. */
export interface AnswerWriterEvents {
  /** The peer stopped taking answers: they back up past the socket's buffer. */
  blocked(): void;
  /** The peer took every answer waiting. */
  drained(): void;
  /** More than `maxPendingOutput` bytes wait that the kernel would not take: the peer must be cut off. */
  overflowed(pending: number): void;
}

/**
 * Writes a connection's answers and keeps what waits for the peer bounded.
 * Answers finishing in the same tick leave in one write (corked until the
 * next tick). When they back up past the socket's buffer, the connection
 * hears `blocked` (it then stops handling requests, and starts its write
 * deadline) and later `drained`. Past `maxPendingOutput` bytes waiting,
 * what the kernel takes leaves at once, and if too much is still left the
 * connection hears `overflowed`: it never holds more than the bound plus
 * one answer.
 */
export class AnswerWriter {
  readonly #socket: Socket;
  readonly #maxPendingOutput: number;
  readonly #events: AnswerWriterEvents;
  #corked = false;
  #blocked = false;

  constructor(socket: Socket, maxPendingOutput: number, events: AnswerWriterEvents) {
    this.#socket = socket;
    this.#maxPendingOutput = maxPendingOutput;
    this.#events = events;
    socket.on('drain', () => {
      this.#blocked = false;
      events.drained();
    });
  }

  /** True while answers back up: the peer is not reading them. */
  get blocked(): boolean {
    return this.#blocked;
  }

  write(frame: Buffer): void {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    if (!socket.write(frame) && !this.#blocked) {
      this.#blocked = true;
      this.#events.blocked();
    }
    if (socket.writableLength > this.#maxPendingOutput) this.#overflow();
  }

  #overflow(): void {
    const socket = this.#socket;
    if (this.#corked) {
      socket.uncork();
      socket.cork();
    }
    const pending = socket.writableLength;
    if (pending > this.#maxPendingOutput) this.#events.overflowed(pending);
  }

  /** Made once: a closure per tick would be garbage per tick. */
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };
}
