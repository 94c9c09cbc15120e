/** Frames one connection handles before the others get their turn. */
export const FRAMES_PER_CONNECTION = 16;

/**
 * Frames all connections together handle in one event-loop turn where they
 * arrive, and again from the queue; then timers and I/O run.
 */
export const FRAMES_PER_TURN = 64;

/** A connection with frames waiting, as the scheduler runs it. */
export interface FrameWorker {
  /** Handles at most `quota` waiting frames; returns how many it handled. */
  work(quota: number): number;
}

/**
 * Bounds the frames handled per event-loop turn, across every connection
 * of a server, and shares them fairly. The event loop delivers every
 * readable socket's bytes in one phase; if each connection handled all it
 * read there, a few peers pipelining thousands of requests would hold the
 * loop for seconds, and raft's heartbeat timers, which run in the same
 * loop, with it. So a connection handles frames where they arrive only
 * while this turn's budget lasts and nobody is waiting; otherwise it keeps
 * them and queues itself here, and the scheduler serves the queue in
 * rounds, at most {@link FRAMES_PER_CONNECTION} each, at most
 * {@link FRAMES_PER_TURN} per turn (`setImmediate` between turns, so timers
 * and I/O run in between). A turn thus handles at most twice
 * {@link FRAMES_PER_TURN} frames. A connection queued comes back at the end of
 * the line: no set of connections can starve the others.
 */
export class FairScheduler {
  readonly #queue = new Set<FrameWorker>();
  readonly #framesPerTurn: number;
  readonly #framesPerConnection: number;
  /** Frames handled where they arrived since the scheduler last ran. */
  #inline = 0;
  #scheduled = false;

  constructor(framesPerTurn = FRAMES_PER_TURN, framesPerConnection = FRAMES_PER_CONNECTION) {
    this.#framesPerTurn = framesPerTurn;
    this.#framesPerConnection = framesPerConnection;
  }

  /** Frames a connection may handle at most in one go. */
  get quantum(): number {
    return this.#framesPerConnection;
  }

  /**
   * Takes one frame of this turn's budget for a connection that would
   * handle it now, where it arrived; false when it must queue instead
   * (the budget is spent, or others are already waiting).
   */
  takeInline(): boolean {
    if (this.#queue.size > 0 || this.#inline >= this.#framesPerTurn) return false;
    this.#inline += 1;
    return true;
  }

  /** Queues `worker` (once) to handle its frames in a later round. */
  schedule(worker: FrameWorker): void {
    this.#queue.add(worker);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  /** Forgets `worker`: it closed. */
  cancel(worker: FrameWorker): void {
    this.#queue.delete(worker);
  }

  /** Made once: a closure per turn would be garbage per turn. */
  readonly #run = (): void => {
    this.#scheduled = false;
    let budget = this.#framesPerTurn;
    // The inline budget counts from here: frames handled where they
    // arrived since the last run were at most one turn's worth.
    this.#inline = 0;
    while (budget > 0) {
      const next = this.#queue.values().next();
      if (next.done) break;
      // Taken off first: a worker with frames left queues itself again, at
      // the end. Each run costs at least one frame, so the loop ends.
      this.#queue.delete(next.value);
      budget -= Math.max(1, next.value.work(Math.min(budget, this.#framesPerConnection)));
    }
    if (this.#queue.size > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  };
}
