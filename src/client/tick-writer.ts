import type { Socket } from 'node:net';
import { FrameRun } from '../protocol/frame-run.js';

/**
 * Writes the frames a connection sends in one tick as one buffer: the
 * protocol's writer puts frames one after another in a slab, so frames
 * written in turn usually lie back to back, and one view over them is
 * written at the end of the tick (a {@link FrameRun}). Frames that do not
 * follow on (a new slab, another writer's frame in between) start a new
 * run, and the socket is corked so that the tick still makes one system
 * call.
 */
export class TickWriter {
  readonly #socket: Socket;
  readonly #run = new FrameRun();
  #corked = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Queues `frame`, which must stay unchanged until written, for the end of this tick. */
  write(frame: Buffer): void {
    const run = this.#run;
    if (run.empty) process.nextTick(this.#flush);
    else if (run.append(frame)) return;
    else {
      if (!this.#corked) {
        this.#corked = true;
        this.#socket.cork();
      }
      this.#socket.write(run.take());
    }
    run.append(frame);
  }

  /** Made once: a closure per tick would be garbage per tick. */
  readonly #flush = (): void => {
    const run = this.#run.take();
    // The socket may have been destroyed since: write() then only reports an error, which 'error' already did.
    if (!this.#socket.destroyed) this.#socket.write(run);
    if (this.#corked) {
      this.#corked = false;
      this.#socket.uncork();
    }
  };
}
