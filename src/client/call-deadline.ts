import { InvalidOptionError, MembershipTimeoutError } from '../membership/errors.js';

/**
 * One deadline for a whole call, joined with the caller's signal and the
 * client's `close()`: its `signal` aborts at whichever comes first. Built
 * for the hot path: no closures per call (the timer gets the instance as
 * its argument, the caller's signal gets the instance as its listener), and
 * `close()` reaches live calls through the set they join, not through a
 * listener each on one shared signal.
 */
export class CallDeadline {
  readonly #call = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;
  readonly #userSignal: AbortSignal | undefined;
  readonly #closing: AbortSignal;
  readonly #live: Set<CallDeadline>;
  #timedOut = false;

  /**
   * @param closing aborted by the client's `close()`, which then calls
   * {@link abort} on every deadline in `live`.
   */
  constructor(timeoutMs: number, userSignal: AbortSignal | undefined, closing: AbortSignal, live: Set<CallDeadline>) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidOptionError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    this.#timeoutMs = timeoutMs;
    this.#userSignal = userSignal;
    this.#closing = closing;
    this.#live = live;
    this.#timer = setTimeout(CallDeadline.#expire, timeoutMs, this);
    live.add(this);
    userSignal?.addEventListener('abort', this, { once: true });
    if (userSignal?.aborted || closing.aborted) this.#call.abort();
  }

  /** Aborted by the deadline, the caller's signal or `close()`. */
  get signal(): AbortSignal {
    return this.#call.signal;
  }

  /** The caller's signal fired (this object is its listener). */
  handleEvent(): void {
    this.#call.abort();
  }

  /** The client is closing. */
  abort(): void {
    this.#call.abort();
  }

  /** The call is over: stops the timer and forgets the listeners. */
  release(): void {
    clearTimeout(this.#timer);
    this.#live.delete(this);
    this.#userSignal?.removeEventListener('abort', this);
  }

  /** The error a call that failed with `err` rejects with: the abort's reason, a timeout, or `err` itself. */
  translate(err: unknown, what: string, lastError: unknown): unknown {
    if (this.#userSignal?.aborted) return this.#userSignal.reason;
    if (this.#closing.aborted) return this.#closing.reason;
    if (this.#timedOut) {
      return new MembershipTimeoutError(`${what} did not complete within ${this.#timeoutMs} ms`, lastError === undefined ? undefined : { cause: lastError });
    }
    return err;
  }

  static #expire(this: void, deadline: CallDeadline): void {
    deadline.#timedOut = true;
    deadline.#call.abort();
  }
}
