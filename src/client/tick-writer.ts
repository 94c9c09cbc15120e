import type { Socket } from 'node:net';

/**
 * Writes the frames a connection sends in one tick as one buffer: the
 * protocol's writer puts frames one after another in a slab, so frames
 * written in turn usually lie back to back, and one view over them is
 * written at the end of the tick (one `write` of contiguous bytes, where
 * corking made a `writev` of a buffer per frame and Node a queue entry
 * per frame). Frames that do not follow on (a new slab, another writer's
 * frame in between) start a new range, and the socket is corked so that
 * the tick still makes one system call.
 */
export class TickWriter {
  readonly #socket: Socket;
  /** The range being gathered: its first frame (written as it is when alone), its memory, where it starts and its length. */
  #first: Buffer | undefined;
  #memory: ArrayBufferLike | undefined;
  #start = 0;
  #length = 0;
  #corked = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Queues `frame`, which must stay unchanged until written, for the end of this tick. */
  write(frame: Buffer): void {
    if (this.#first === undefined) {
      process.nextTick(this.#flush);
    } else if (frame.buffer === this.#memory && frame.byteOffset === this.#start + this.#length) {
      this.#length += frame.length;
      return;
    } else {
      if (!this.#corked) {
        this.#corked = true;
        this.#socket.cork();
      }
      this.#writeRange();
    }
    this.#first = frame;
    this.#memory = frame.buffer;
    this.#start = frame.byteOffset;
    this.#length = frame.length;
  }

  #writeRange(): void {
    const first = this.#first!;
    this.#socket.write(this.#length === first.length ? first : Buffer.from(this.#memory!, this.#start, this.#length));
  }

  /** Made once: a closure per tick would be garbage per tick. */
  readonly #flush = (): void => {
    // The socket may have been destroyed since: write() then only reports an error, which 'error' already did.
    if (!this.#socket.destroyed) this.#writeRange();
    this.#first = this.#memory = undefined;
    if (this.#corked) {
      this.#corked = false;
      this.#socket.uncork();
    }
  };
}
