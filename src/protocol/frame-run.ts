/**
 * Frames that lie back to back in one memory, gathered to be written as
 * one buffer. The protocol's writer puts frames one after another in a
 * slab, so frames encoded in turn usually follow on: writing them as one
 * view makes one `write` of contiguous bytes, where a buffer per frame made
 * a `writev` and a queue entry per frame in Node's stream.
 */
export class FrameRun {
  /** The first frame (taken as it is when alone), its memory, where the run starts and its length. */
  #first: Buffer | undefined;
  #memory: ArrayBufferLike | undefined;
  #start = 0;
  #length = 0;

  /** Bytes gathered. */
  get length(): number {
    return this.#length;
  }

  /** True while nothing is gathered. */
  get empty(): boolean {
    return this.#first === undefined;
  }

  /**
   * Adds `frame`, which must stay unchanged until taken, if the run is
   * empty or the frame follows on from it; false (nothing added) otherwise.
   */
  append(frame: Buffer): boolean {
    if (this.#first === undefined) {
      this.#first = frame;
      this.#memory = frame.buffer;
      this.#start = frame.byteOffset;
      this.#length = frame.length;
      return true;
    }
    if (frame.buffer !== this.#memory || frame.byteOffset !== this.#start + this.#length) return false;
    this.#length += frame.length;
    return true;
  }

  /** The run as one buffer (its first frame when alone); the run is empty after. Only when not empty. */
  take(): Buffer {
    const first = this.#first!;
    const run = this.#length === first.length ? first : Buffer.from(this.#memory!, this.#start, this.#length);
    this.#first = this.#memory = undefined;
    this.#length = 0;
    return run;
  }
}
