import { AbortError, MembershipError, MembershipTimeoutError, type CallStage } from '../membership/errors.js';
import { timeoutValue } from '../membership/option-checks.js';
import type { ServerAddress } from '../membership/types.js';
import { ConnectionClosedError } from '../protocol/errors.js';
import { CallDeadlines, type QueuedDeadline } from './call-deadlines.js';

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
 * single request), more in an array; and their place in a
 * {@link CallDeadlines} queue.
 */
abstract class GivingUp implements CallSignal, QueuedDeadline {
  /** @internal */
  deadlineAt = 0;
  /** @internal */
  lane: QueuedDeadline['lane'];
  /** @internal */
  prev: QueuedDeadline | undefined;
  /** @internal */
  next: QueuedDeadline | undefined;
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

  /** @internal Its deadline passed. */
  abstract expire(): void;
}

/** The queue of deadlines made without one of their own (a ping, a test). */
const standalone = new CallDeadlines();

/** The reason a call's parts see when its deadline passes; `translate()` turns it into the caller's error. */
const DEADLINE_PASSED = new MembershipTimeoutError('call deadline passed');

/** What a dial under way has reached: the TCP connection, or not yet. */
export interface DialProgress {
  connected: boolean;
}

/**
 * Where a call stands and what went wrong on the way, for the error it
 * ends with: the stage and target its timeout message names, and the
 * failures its `cause` is chosen from. Plain fields: a call sets them as
 * it goes, at no cost until it fails.
 */
export interface CallProgress {
  stage: CallStage;
  /** The server the call is dealing with now. */
  target: ServerAddress | undefined;
  /** The server whose redirect sent the call to `target`, if one did. */
  redirectedBy: ServerAddress | undefined;
  /** The dial the call waits on, while `stage` is dialing. */
  dial: DialProgress | undefined;
  /** Notes a failed try: the candidates for the final error's `cause`. */
  record(err: unknown): void;
}

/**
 * One deadline for a whole call, joined with the caller's signal and the
 * client's `close()`: it gives up at whichever comes first. No closures or
 * timers per call: it waits in its client's {@link CallDeadlines} queue,
 * which `close()` also reaches live calls through, and the caller's signal
 * gets it as its listener.
 */
export class CallDeadline extends GivingUp implements CallProgress {
  readonly #timeoutMs: number;
  readonly #userSignal: AbortSignal | undefined;
  /** The queue it waits in, which its attempts wait in too. */
  readonly deadlines: CallDeadlines;
  /** The caller's signal fired (not the deadline, not `close()`). */
  #callerAborted = false;
  stage: CallStage = 'dialing';
  target: ServerAddress | undefined;
  redirectedBy: ServerAddress | undefined;
  dial: DialProgress | undefined;
  /** The last failure of any kind. */
  #lastError: unknown;
  /** The last failure a server reported itself (a wire error, a refused preamble): the telling one. */
  #lastAnswer: unknown;

  /**
   * @param timeoutMs checked: 100 ms to a day.
   * @param deadlines the client's calls, which its `close()` aborts.
   */
  constructor(timeoutMs: number, userSignal: AbortSignal | undefined, deadlines: CallDeadlines = standalone) {
    super();
    timeoutValue('timeoutMs', timeoutMs);
    this.#timeoutMs = timeoutMs;
    this.#userSignal = userSignal;
    this.deadlines = deadlines;
    deadlines.add(this, timeoutMs);
    if (userSignal) {
      if (userSignal.aborted) this.handleEvent();
      else userSignal.addEventListener('abort', this, { once: true });
    }
  }

  /** When the call began (performance.now()). */
  get began(): number {
    return this.deadlineAt - this.#timeoutMs;
  }

  /** The whole call's deadline, in milliseconds. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** The caller's signal fired (this object is its listener). */
  handleEvent(): void {
    this.#callerAborted = true;
    this.abort(this.#userSignal?.reason);
  }

  record(err: unknown): void {
    // The deadline's own abort is not news: keep the failure before it.
    if (this.aborted) return;
    this.#lastError = err;
    if (isAnswer(err)) this.#lastAnswer = err;
  }

  /** Gives up: the client is closing, or the caller or the deadline said so. */
  abort(reason: unknown): void {
    this.giveUp(reason);
  }

  /** The call is over: leaves the queue and forgets the listeners. */
  release(): void {
    this.deadlines.delete(this);
    this.#userSignal?.removeEventListener('abort', this);
  }

  /**
   * The error a call that failed with `err` rejects with: `err` itself, an
   * {@link AbortError} for the caller's abort, the reason of another abort
   * (`close()`), or a {@link MembershipTimeoutError} naming the stage and
   * target. Its `cause` is `lastError` when given, else the last failure a
   * server reported (a followed redirect is not a failure), else the last
   * failure of any kind; a later one that differs is named in the message.
   */
  translate(err: unknown, what: string, lastError?: unknown): unknown {
    if (!this.aborted) return err;
    if (this.#callerAborted) return new AbortError(`${what} was aborted`, { cause: this.reason });
    if (this.reason !== DEADLINE_PASSED) return this.reason;
    const cause = lastError ?? this.#lastAnswer ?? this.#lastError;
    const later = this.#lastError !== undefined && this.#lastError !== cause ? `; last failure: ${(this.#lastError as Error)?.message}` : '';
    const stage = this.stage === 'dialing' && this.dial?.connected ? 'preamble' : this.stage;
    return new MembershipTimeoutError(`${what} did not complete within ${this.#timeoutMs} ms: ${describeStage(stage, this.target, this.redirectedBy)}${later}`, {
      ...(cause === undefined ? {} : { cause }),
      stage,
      ...(this.target === undefined ? {} : { target: this.target }),
    });
  }

  /** @internal The deadline passed. */
  expire(): void {
    this.abort(DEADLINE_PASSED);
  }
}

/**
 * One attempt of a call with several seeds: it gives up when the call does,
 * or after its own bound, so that a seed that accepts connections but never
 * answers (a stalled or partitioned server) costs one attempt's share of
 * the deadline rather than all of it, and the next seed gets its turn.
 */
export class AttemptDeadline extends GivingUp implements Cancellable {
  readonly #call: CallDeadline;
  readonly #timeoutMs: number;

  constructor(call: CallDeadline, timeoutMs: number) {
    super();
    this.#call = call;
    this.#timeoutMs = timeoutMs;
    call.deadlines.add(this, timeoutMs);
    call.watch(this);
  }

  /** The whole call gave up, or this attempt's share ran out. */
  cancel(reason: unknown): void {
    this.#call.deadlines.delete(this);
    this.giveUp(reason);
  }

  /** The attempt is over. */
  release(): void {
    this.#call.deadlines.delete(this);
    this.#call.unwatch(this);
  }

  /** @internal Its share of the deadline ran out. */
  expire(): void {
    const { stage, target, dial } = this.#call;
    const at = stage === 'dialing' && dial?.connected ? 'preamble' : stage;
    this.cancel(
      new MembershipTimeoutError(`no answer from ${target ?? 'the server'} within its share of the deadline (${Math.round(this.#timeoutMs)} ms, ${at}); trying the next server`, {
        stage: at,
        ...(target === undefined ? {} : { target }),
      }),
    );
  }
}

/** A failure a server reported itself, rather than one of the connection or of this side's patience. */
function isAnswer(err: unknown): boolean {
  return err instanceof MembershipError && !(err instanceof ConnectionClosedError) && !(err instanceof MembershipTimeoutError && err.stage !== undefined);
}

/** The stage of a call, in words, for its timeout message. */
function describeStage(stage: CallStage, target: ServerAddress | undefined, redirectedBy: ServerAddress | undefined): string {
  const at = target === undefined ? 'the server' : target;
  const via = redirectedBy === undefined ? '' : ` (the leader, as ${redirectedBy} said)`;
  switch (stage) {
    case 'dialing':
      return `still dialing ${at}${via}: no TCP connection`;
    case 'preamble':
      return `connected to ${at}${via}, but the preamble (TLS, cluster name, secret) did not finish`;
    case 'waiting':
      return `the request went to ${at}${via}, and its answer did not come`;
    case 'backing-off':
      return `backing off before the next try${target === undefined ? '' : ` (last tried ${target})`}`;
  }
}
