import type { Socket } from 'node:net';
import { FrameRun } from '../protocol/frame-run.js';

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
 * Answers finishing in the same tick leave in one write: answers encoded in
 * turn usually lie back to back, and are written as one buffer at the end
 * of the tick (a {@link FrameRun}). Answers that do not follow on (a new
 * slab, another connection's answer in between, a `members` page) start a
 * new run, and the socket is corked so that the tick still makes one
 * system call.
 *
 * What is gathered counts as written: once it and what the socket holds
 * reach the socket's buffer or `maxPendingOutput`, it is handed to the
 * socket at once, so that the connection hears `blocked` (it then stops
 * handling requests, and starts its write deadline), and later `drained`,
 * after the same answer as it would without gathering. Past
 * `maxPendingOutput` bytes waiting, what the kernel takes leaves at once,
 * and if too much is still left the connection hears `overflowed`: it
 * never holds more than the bound plus one answer.
 */
export class AnswerWriter {
  readonly #socket: Socket;
  readonly #maxPendingOutput: number;
  readonly #events: AnswerWriterEvents;
  /** Gathered bytes which, with what the socket holds, are handed to it at once. */
  readonly #handOver: number;
  readonly #run = new FrameRun();
  #corked = false;
  #scheduled = false;
  #blocked = false;

  constructor(socket: Socket, maxPendingOutput: number, events: AnswerWriterEvents) {
    this.#socket = socket;
    this.#maxPendingOutput = maxPendingOutput;
    this.#events = events;
    this.#handOver = Math.min(socket.writableHighWaterMark, maxPendingOutput + 1);
    socket.on('drain', () => {
      this.#blocked = false;
      events.drained();
    });
  }

  /** True while answers back up: the peer is not reading them. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Queues `frame`, which must stay unchanged until written, to leave at the end of this tick. */
  write(frame: Buffer): void {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#endOfTick);
    }
    if (!this.#run.append(frame)) {
      this.#cork();
      this.#writeRun();
      this.#run.append(frame);
    }
    if (this.#run.length + socket.writableLength >= this.#handOver) {
      this.#cork();
      this.#writeRun();
      if (socket.writableLength > this.#maxPendingOutput) this.#overflow();
    }
  }

  /** Hands what is gathered to the socket now: before `end()`, which would refuse a later write. */
  flush(): void {
    if (this.#run.empty) return;
    if (this.#socket.destroyed || this.#socket.writableEnded) this.#run.take();
    else this.#writeRun();
  }

  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
  }

  #writeRun(): void {
    if (!this.#socket.write(this.#run.take()) && !this.#blocked) {
      this.#blocked = true;
      this.#events.blocked();
    }
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
  readonly #endOfTick = (): void => {
    this.#scheduled = false;
    // The socket may have been destroyed since, or ended (end() flushed first).
    this.flush();
    if (this.#corked) {
      this.#corked = false;
      this.#socket.uncork();
    }
  };
}
