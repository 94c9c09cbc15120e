/**
 * One token bucket per peer: a peer may make `burst` requests at once, and
 * `rate` a second after that. The one place `requestRatePerPeer` and
 * `requestBurstPerPeer` are enforced. A peer past its rate is not refused:
 * its connections stop being read until a token is due, so the flood waits
 * in its own socket buffers (TCP's backpressure) and costs the server
 * neither CPU nor memory.
 */
export class PeerRates {
  readonly #rate: number;
  readonly #burst: number;
  /** Per peer: tokens left, as of `at` (ms, `performance.now()`). Full buckets are forgotten. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Takes until the next sweep of full buckets. */
  #untilSweep = SWEEP_EVERY;

  /** `rate` requests a second (`Infinity`: no limit), `burst` at once. */
  constructor(rate: number, burst: number) {
    this.#rate = rate;
    this.#burst = burst;
  }

  /** Whether peers are limited at all. */
  get limited(): boolean {
    return this.#rate !== Infinity;
  }

  /**
   * Takes one request's token from `peer`'s bucket: 0 if it had one (go
   * on), otherwise how many ms to wait before asking again (nothing is
   * taken): until a token is due, and at least {@link MIN_WAIT_MS}.
   */
  take(peer: string, now = performance.now()): number {
    if (!this.limited) return 0;
    if (--this.#untilSweep === 0) this.#sweep(now);
    let bucket = this.#buckets.get(peer);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(peer, bucket);
    } else {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) * this.#rate) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(MIN_WAIT_MS, Math.ceil(((1 - bucket.tokens) * 1000) / this.#rate));
  }

  /** Peers with a bucket: those that made requests lately and would not yet have a full one. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forgets the buckets that have filled up again: a full bucket is the same as none. */
  #sweep(now: number): void {
    this.#untilSweep = SWEEP_EVERY;
    for (const [peer, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.#rate) / 1000 >= this.#burst) this.#buckets.delete(peer);
    }
  }
}

/** Takes between sweeps: the map never holds more than the peers of the last few thousand requests. */
const SWEEP_EVERY = 4096;

/** A limited peer is woken at most this often (tokens gather meanwhile), not once per request. */
export const MIN_WAIT_MS = 100;
