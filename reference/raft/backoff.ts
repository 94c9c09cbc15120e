/**
 * Reference raft engine (not part of the published API): how long to wait
 * before trying a server again that could not be reached.
 */

/**
 * Exponential back-off with jitter and a cap: the n-th failure in a row
 * waits between half and all of `min(maxMs, baseMs · 2^(n−1))`, so that
 * many dead servers are not retried in step. A success starts over.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #failures = 0;

  constructor(baseMs: number, maxMs: number, random: () => number = Math.random) {
    this.#baseMs = baseMs;
    this.#maxMs = Math.max(baseMs, maxMs);
    this.#random = random;
  }

  /** Failures in a row since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** Counts a failure; returns how long to wait before the next try, in ms. */
  fail(): number {
    this.#failures += 1;
    // 2^30 × any base is past every cap: stop doubling before the number grows without bound.
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(this.#failures - 1, 30));
    return ceiling / 2 + (this.#random() * ceiling) / 2;
  }

  /** The server answered: the next failure waits `baseMs` again. */
  succeed(): void {
    this.#failures = 0;
  }
}
