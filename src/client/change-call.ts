import type { ServerAddress } from '../membership/types.js';
import type { ResponseMessage } from '../protocol/messages.js';
import { AttemptDeadline, CallDeadline, type CallSignal } from './call-deadline.js';
import type { CallDeadlines } from './call-deadlines.js';
import type { OutgoingRequest, ResponseHandler } from './client-connection.js';
import { attemptShare, type CallStart, type HopOutcome, type LeaderCaller } from './leader-caller.js';

/** A join or a leave: what {@link ChangeCall} carries. */
export type ChangeRequest = Extract<OutgoingRequest, { type: 'join' | 'leave' }>;

/**
 * A join or a leave under way, and the promise its caller holds. Most
 * calls go to the leader the client remembers, on a connection already
 * open, and are answered at once: such a call is this object, its promise
 * and its request, with no async frames and no promise of its own
 * in between (which, with their closures, made up most of what a call
 * cost). Anything else (no connection ready, a redirect, an error, a
 * deadline) goes on in {@link LeaderCaller.run} from where the call got to,
 * so that retries, redirects, memory and errors are as they always were.
 */
export class ChangeCall extends CallDeadline implements ResponseHandler {
  readonly #caller: LeaderCaller;
  readonly #request: ChangeRequest;
  readonly #seeds: readonly ServerAddress[];
  #order: readonly ServerAddress[] = [];
  /** The first attempt's own bound, when there are several servers to try. */
  #attempt: AttemptDeadline | undefined;
  #resolve!: (index: number | undefined | Promise<number | undefined>) => void;

  constructor(caller: LeaderCaller, request: ChangeRequest, seeds: readonly ServerAddress[], timeoutMs: number, userSignal: AbortSignal | undefined, deadlines: CallDeadlines) {
    super(timeoutMs, userSignal, deadlines);
    this.#caller = caller;
    this.#request = request;
    this.#seeds = seeds;
  }

  /** Sends the request; resolves to the configuration's index once the change is committed. */
  start(): Promise<number | undefined> {
    // Never rejected directly: a failure comes through the promise of #goOn.
    const promise = new Promise<number | undefined>((resolve) => {
      this.#resolve = resolve;
    });
    const order = this.#caller.order(this.#seeds);
    this.#order = order;
    const target = order[0]!;
    const connection = this.aborted ? undefined : this.#caller.readyConnection(target);
    if (!connection) {
      this.#resolve(this.#goOn({ order }));
      return promise;
    }
    const share = attemptShare(order.length, this.timeoutMs);
    let signal: CallSignal = this;
    if (share > 0) signal = this.#attempt = new AttemptDeadline(this, share);
    this.target = target;
    this.stage = 'waiting';
    connection.send(this.#request, signal, this);
    return promise;
  }

  /** @internal The leader's answer, or another server's. */
  onResponse(response: ResponseMessage): void {
    if (!response.ok) {
      this.#handOver({ response });
      return;
    }
    this.#attempt?.release();
    this.#caller.succeeded(this.#order, this.target!);
    this.release();
    this.#resolve(response.index);
  }

  /** @internal No answer came. */
  onFailure(error: unknown): void {
    this.#handOver({ error });
  }

  #handOver(outcome: HopOutcome): void {
    this.#resolve(this.#goOn({ order: this.#order, attempt: this.#attempt, outcome }));
  }

  /** The rest of a call that did not end with its first request, as {@link LeaderCaller.run} goes on. */
  async #goOn(start: CallStart): Promise<number | undefined> {
    // Out of the callback that reported the outcome (a deadline firing, a
    // connection closing): what follows may dial, retry and wait.
    await undefined;
    try {
      return (await this.#caller.run(this.#request, this.#seeds, this, start)).index;
    } catch (err) {
      throw this.translate(err, `${this.#request.type} of ${this.#request.id}`);
    } finally {
      this.release();
    }
  }
}
