import { ChangeRequestKind, kindName } from './change-request-kind.js';
import type { ChangeRequest } from './change-request.js';
import { MembershipError, MembershipTimeoutError, UnsupportedRoleError } from './errors.js';
import type { LogWriter } from './logger.js';
import type { Raft } from './raft.js';
import type { RequestFeed } from './request-feed.js';
import { redirect, translate } from './translate.js';
import { ServerRole } from './types.js';

/** Where the loop takes its requests: a server's feed, or any async iterable. */
export interface RequestSource {
  /** The next request if one is ready now. */
  take(): ChangeRequest | undefined;
  /** True once nothing more will come. */
  readonly ended: boolean;
  /** Calls `wake` once something may be ready or the source ended, `fail` if it broke. */
  wait(wake: () => void, fail: (err: unknown) => void): void;
  /** Calls `ended` when the source ends while the loop is busy, where the source can tell. */
  onEnd(ended: () => void): void;
  /** The loop stops taking. */
  stop(): void;
}

/** A server's feed as a source: requests taken synchronously, no promise per request. */
export function feedSource(feed: RequestFeed): RequestSource {
  return {
    take: () => feed.take(),
    get ended() {
      return feed.ended;
    },
    wait: (wake) => feed.wait(wake),
    onEnd: (ended) => feed.onEnd(ended),
    stop: () => feed.detach(),
  };
}

/** Any async iterable as a source: one `next()` at a time. */
export class IteratorSource implements RequestSource {
  readonly #iterator: AsyncIterator<ChangeRequest>;
  #ready: ChangeRequest | undefined;
  #ended = false;

  constructor(requests: AsyncIterable<ChangeRequest>) {
    this.#iterator = requests[Symbol.asyncIterator]();
  }

  get ended(): boolean {
    return this.#ended;
  }

  take(): ChangeRequest | undefined {
    const ready = this.#ready;
    this.#ready = undefined;
    return ready;
  }

  wait(wake: () => void, fail: (err: unknown) => void): void {
    this.#iterator.next().then((result) => {
      if (result.done) this.#ended = true;
      else this.#ready = result.value;
      wake();
    }, fail);
  }

  /** An iterator says it ended only when asked for the next item. */
  onEnd(): void {}

  stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    // Lets a generator run its `finally`; what it says then is no concern of ours.
    this.#iterator.return?.().catch(() => undefined);
  }
}

/** What the loop needs beyond its raft and source. */
export interface ChangeLoopSettings {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly logger: LogWriter;
}

/** Ticks of the loop's timer per `timeoutMs`, while raft calls are in flight. */
const TICKS_PER_TIMEOUT = 4;

/**
 * The body of `handleChangeRequests`: applies one request at a time, takes
 * the next one synchronously when it is ready (a callback, not a promise
 * per request), and bounds each raft call with one timer for the whole
 * loop, so that a raft call that never settles cannot hold it. The timer
 * ticks four times per `timeoutMs` while calls are in flight and counts how
 * long the current one has been: no clock is read per call (a clock read
 * costs as much as the rest of the loop's work), and a call is cut off
 * between `timeoutMs` and a quarter more.
 */
export class ChangeLoop {
  readonly #raft: Raft;
  readonly #source: RequestSource;
  readonly #settings: ChangeLoopSettings;
  #resolve: () => void = () => undefined;
  #reject: (err: unknown) => void = () => undefined;
  /** The request raft is making now. */
  #current: ChangeRequest | undefined;
  /** Raft calls begun so far: tells the ticks one call from the next without reading a clock per call. */
  #calls = 0;
  /** The call current at the last tick, and how many ticks it has been current since. */
  #seenCall = 0;
  #seenTicks = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(raft: Raft, source: RequestSource, settings: ChangeLoopSettings) {
    this.#raft = raft;
    this.#source = source;
    this.#settings = settings;
  }

  /** Resolves once the source ended or the signal aborted; rejects if the source threw. */
  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      const { signal } = this.#settings;
      if (signal?.aborted) return this.#stop();
      signal?.addEventListener('abort', this.#stop, { once: true });
      // The end of a server's requests stops the loop even during a raft call that hangs.
      this.#source.onEnd(this.#stop);
      this.#pump();
    });
  }

  /** Takes and starts requests while they are ready and raft is free. */
  readonly #pump = (): void => {
    while (!this.#stopped && this.#current === undefined) {
      const request = this.#source.take();
      if (request === undefined) {
        if (this.#source.ended) return this.#stop();
        return this.#source.wait(this.#pump, this.#fail);
      }
      // Timed out or abandoned while queued: its client has its answer already.
      if (!request.isDone) this.#start(request);
    }
  };

  #start(request: ChangeRequest): void {
    let pending: Promise<void | number> | void | number;
    try {
      pending = apply(this.#raft, request, this.#settings.timeoutMs);
    } catch (caught) {
      return this.#finish(request, true, caught);
    }
    if (!isThenable(pending)) return this.#finish(request, false, pending);
    this.#current = request;
    this.#calls += 1;
    if (this.#timer === undefined) {
      // Armed as this call begins: the ticks count its time exactly.
      this.#seenCall = this.#calls;
      this.#seenTicks = 0;
      this.#arm();
    }
    pending.then(
      (result) => this.#settled(request, false, result),
      (caught: unknown) => this.#settled(request, true, caught),
    );
  }

  #settled(request: ChangeRequest, failed: boolean, value: unknown): void {
    if (this.#current !== request) {
      // Answered `timeout` already, or the loop stopped: only the log can still learn it.
      this.#settings.logger.debug?.('raft finished a membership change after its answer was sent', {
        id: request.id,
        kind: kindName(request.kind),
        outcome: failed ? String((value as Error)?.message ?? value) : 'committed',
      });
      return;
    }
    this.#current = undefined;
    this.#finish(request, failed, value);
    this.#pump();
  }

  #finish(request: ChangeRequest, failed: boolean, value: unknown): void {
    const err = failed ? this.#report(request, value) : null;
    // Someone else (a transport timing it out, say) may have finished it.
    // Only a log index is passed on: raft may resolve to anything (done() refuses what is not an index).
    const index = !failed && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
    if (!request.isDone) request.done(err, index);
  }

  /** The error a failed call becomes, logged where an operator should see it. */
  #report(request: ChangeRequest, caught: unknown): Error {
    const err = translate(this.#raft, caught);
    const fields = { id: request.id, kind: kindName(request.kind), error: err.message };
    if (caught instanceof MembershipError) this.#settings.logger.debug?.('membership change refused', fields);
    else this.#settings.logger.error?.('raft failed a membership change', fields);
    return err;
  }

  #arm(): void {
    this.#timer = setTimeout(this.#onTick, Math.ceil(this.#settings.timeoutMs / TICKS_PER_TIMEOUT));
    this.#timer.unref();
  }

  /** The loop's one timer: stops while no call is in flight, cuts off a call current for `timeoutMs`. */
  readonly #onTick = (): void => {
    this.#timer = undefined;
    const current = this.#current;
    if (current === undefined) return;
    if (this.#seenCall !== this.#calls) {
      // Begun since the last tick: less than a tick ago.
      this.#seenCall = this.#calls;
      this.#seenTicks = 0;
    } else {
      this.#seenTicks += 1;
    }
    if (this.#seenTicks < TICKS_PER_TIMEOUT) return this.#arm();
    const { timeoutMs } = this.#settings;
    this.#current = undefined;
    const what = `${kindName(current.kind)} of ${current.id}`;
    this.#settings.logger.warn?.('raft did not finish a membership change in time; going on with the next', { id: current.id, kind: kindName(current.kind), timeoutMs });
    if (!current.isDone) current.done(new MembershipTimeoutError(`raft did not finish the ${what} within ${timeoutMs} ms; its outcome is unknown`));
    this.#pump();
  };

  readonly #stop = (): void => {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#settings.signal?.removeEventListener('abort', this.#stop);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const current = this.#current;
    this.#current = undefined;
    if (current !== undefined && !current.isDone) {
      current.done(new MembershipTimeoutError(`handleChangeRequests stopped while raft was making the ${kindName(current.kind)} of ${current.id}; its outcome is unknown`));
    }
    this.#source.stop();
    this.#resolve();
  };

  readonly #fail = (err: unknown): void => {
    // Rejected first: the resolve in #stop then changes nothing.
    this.#reject(err);
    this.#stop();
  };
}

/** Starts `request` on `raft`; throws at once where no call is needed. */
function apply(raft: Raft, request: ChangeRequest, timeoutMs: number): Promise<void | number> {
  if (raft.state() !== 'leader') throw redirect(raft);
  if (request.kind === ChangeRequestKind.Leave) return raft.removeServer(request.id, 0, timeoutMs);
  if (request.role === ServerRole.Voter) return raft.addVoter(request.id, request.address, 0, timeoutMs);
  if (!raft.addNonvoter) throw new UnsupportedRoleError(request.role);
  return raft.addNonvoter(request.id, request.address, 0, timeoutMs);
}

function isThenable(value: unknown): value is Promise<void | number> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
