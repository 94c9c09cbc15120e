import { InvalidOptionError, MembershipTimeoutError } from '../membership/errors.js';

/** Told once when the call it watches gives up. */
export interface Cancellable {
  cancel(reason: unknown): void;
}

/**
 * What the parts of a call watch to learn that it gave up: a lighter
 * AbortSignal. Node's AbortController costs a tracked EventTarget per call,
 * which showed as 7% of CPU and much of the GC in the pipelined benchmark;
 * the hot path needs only a flag and one listener.
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  watch(listener: Cancellable): void;
  unwatch(listener: Cancellable): void;
  /** A real AbortSignal for APIs that take one (dialing, p-retry); made on first use. */
  readonly abortSignal: AbortSignal;
}

/**
 * The flag, the reason and the listeners that {@link CallDeadline} and
 * {@link AttemptDeadline} share: one listener inline (the usual case, a
 * single request), more in an array.
 */
abstract class GivingUp implements CallSignal {
  #aborted = false;
  #reason: unknown;
  #listener: Cancellable | undefined;
  #more: Cancellable[] | undefined;
  #controller: AbortController | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get abortSignal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  watch(listener: Cancellable): void {
    if (this.#aborted) listener.cancel(this.#reason);
    else if (!this.#listener) this.#listener = listener;
    else (this.#more ??= []).push(listener);
  }

  unwatch(listener: Cancellable): void {
    if (this.#listener === listener) this.#listener = undefined;
    else if (this.#more) {
      const at = this.#more.indexOf(listener);
      if (at >= 0) this.#more.splice(at, 1);
    }
  }

  /** Gives up, once: tells every listener and the AbortSignal, if one was made. */
  protected giveUp(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const first = this.#listener;
    const more = this.#more;
    this.#listener = undefined;
    this.#more = undefined;
    first?.cancel(reason);
    if (more) for (const listener of more) listener.cancel(reason);
    this.#controller?.abort(reason);
  }
}

/** The reason a call's parts see when its deadline passes; `translate()` turns it into the caller's error. */
const DEADLINE_PASSED = new MembershipTimeoutError('call deadline passed');

/**
 * One deadline for a whole call, joined with the caller's signal and the
 * client's `close()`: it gives up at whichever comes first. No closures per
 * call: the timer gets the instance as its argument and the caller's signal
 * gets it as its listener; `close()` reaches live calls through the set
 * they join.
 */
export class CallDeadline extends GivingUp {
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;
  readonly #userSignal: AbortSignal | undefined;
  readonly #live: Set<CallDeadline>;

  /** @param live the client's calls, which its `close()` aborts. */
  constructor(timeoutMs: number, userSignal: AbortSignal | undefined, live: Set<CallDeadline>) {
    super();
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidOptionError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    }
    this.#timeoutMs = timeoutMs;
    this.#userSignal = userSignal;
    this.#live = live;
    this.#timer = setTimeout(CallDeadline.#expire, timeoutMs, this);
    live.add(this);
    if (userSignal) {
      if (userSignal.aborted) this.abort(userSignal.reason);
      else userSignal.addEventListener('abort', this, { once: true });
    }
  }

  /** The caller's signal fired (this object is its listener). */
  handleEvent(): void {
    this.abort(this.#userSignal?.reason);
  }

  /** Gives up: the client is closing, or the caller or the deadline said so. */
  abort(reason: unknown): void {
    this.giveUp(reason);
  }

  /** The call is over: stops the timer and forgets the listeners. */
  release(): void {
    clearTimeout(this.#timer);
    this.#live.delete(this);
    this.#userSignal?.removeEventListener('abort', this);
  }

  /** The error a call that failed with `err` rejects with: the abort's reason, a timeout, or `err` itself. */
  translate(err: unknown, what: string, lastError: unknown): unknown {
    if (!this.aborted) return err;
    if (this.reason !== DEADLINE_PASSED) return this.reason;
    return new MembershipTimeoutError(`${what} did not complete within ${this.#timeoutMs} ms`, lastError === undefined ? undefined : { cause: lastError });
  }

  static #expire(this: void, deadline: CallDeadline): void {
    deadline.abort(DEADLINE_PASSED);
  }
}

/**
 * One attempt of a call with several seeds: it gives up when the call does,
 * or after its own bound, so that a seed that accepts connections but never
 * answers (a stalled or partitioned server) costs one attempt's share of
 * the deadline rather than all of it, and the next seed gets its turn.
 */
export class AttemptDeadline extends GivingUp implements Cancellable {
  readonly #call: CallSignal;
  readonly #timer: NodeJS.Timeout;

  constructor(call: CallSignal, timeoutMs: number, target: string) {
    super();
    this.#call = call;
    this.#timer = setTimeout(AttemptDeadline.#expire, timeoutMs, this, new MembershipTimeoutError(`no answer from ${target} within ${timeoutMs} ms; trying the next seed`));
    call.watch(this);
  }

  /** The whole call gave up, or this attempt's share ran out. */
  cancel(reason: unknown): void {
    clearTimeout(this.#timer);
    this.giveUp(reason);
  }

  /** The attempt is over. */
  release(): void {
    clearTimeout(this.#timer);
    this.#call.unwatch(this);
  }

  static #expire(this: void, attempt: AttemptDeadline, reason: MembershipTimeoutError): void {
    attempt.cancel(reason);
  }
}
