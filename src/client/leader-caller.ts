import pRetry, { AbortError as StopRetrying } from 'p-retry';
import { DifferentLeaderError } from '../membership/errors.js';
import type { ServerAddress } from '../membership/types.js';
import { clientRedirected, clientRetrying } from '../diagnostics.js';
import type { MembersResponse, ResponseMessage, SuccessResponse } from '../protocol/messages.js';
import { fromWireError } from '../protocol/wire-errors.js';
import { AttemptDeadline, type CallDeadline, type CallSignal } from './call-deadline.js';
import type { ClientConnection, OutgoingRequest } from './client-connection.js';
import type { ResolvedClientOptions } from './client-options.js';
import type { ConnectionPool } from './connection-pool.js';
import type { EndpointMemory } from './endpoint-memory.js';
import { isRetriable, isServerMissing } from './retry-policy.js';

/** The least time an attempt at one of several servers gets before the next one's turn. */
const MIN_ATTEMPT_MS = 250;

/**
 * How long each attempt of a call with `servers` to try gets: with several,
 * a share of the deadline, so that one that never answers does not keep the
 * others from their turn; with one, 0 (the call's whole deadline).
 */
export function attemptShare(servers: number, timeoutMs: number): number {
  return servers > 1 ? Math.max(MIN_ATTEMPT_MS, timeoutMs / (servers + 1)) : 0;
}

/** What one request to a server came to: its answer, or why none came. */
export type HopOutcome = { readonly response: ResponseMessage } | { readonly error: unknown };

/**
 * Where a call that began without {@link LeaderCaller.run} got to: the
 * order it tries servers in, and, if it already sent its request to the
 * first of them, that attempt's bound (when it has one of its own) and
 * the request's outcome. `run` goes on from there as if it had got there itself.
 */
export interface CallStart {
  readonly order: readonly ServerAddress[];
  readonly attempt?: AttemptDeadline | undefined;
  readonly outcome?: HopOutcome | undefined;
}

/**
 * Gets a request answered by the cluster's leader, within one call's
 * deadline: tries servers in the order the memory gives, follows
 * redirects, backs off between attempts, and tells the memory and the call
 * what happened on the way.
 */
export class LeaderCaller {
  readonly #options: ResolvedClientOptions;
  readonly #pool: ConnectionPool;
  readonly #memory: EndpointMemory;

  constructor(options: ResolvedClientOptions, pool: ConnectionPool, memory: EndpointMemory) {
    this.#options = options;
    this.#pool = pool;
    this.#memory = memory;
  }

  /** The order to try `seeds` in: the remembered leader first, failing servers last. */
  order(seeds: readonly ServerAddress[]): readonly ServerAddress[] {
    return this.#memory.order(seeds);
  }

  /** A connection to `target` that a request can go out on now, without a dial; `undefined` if none. */
  readyConnection(target: ServerAddress): ClientConnection | undefined {
    return this.#pool.ready(target);
  }

  /** `target`, the first of `order`, answered a call with a success: remembered as {@link run} does. */
  succeeded(order: readonly ServerAddress[], target: ServerAddress): void {
    this.#memory.answered(target);
    this.#memory.reached(order, target, target);
  }

  /**
   * Sends `request` until the leader answers it: to the leader remembered
   * for these seeds first, then the seeds (those that failed lately last),
   * following redirects and backing off between tries, within `call`.
   * Resolves to the answer; `call.target` is then the server that gave it.
   * A call that began on its own goes on from `start`.
   */
  async run(request: OutgoingRequest, seeds: readonly ServerAddress[], call: CallDeadline, start?: CallStart): Promise<SuccessResponse | MembersResponse> {
    const order = start?.order ?? this.#memory.order(seeds);
    let at = 0;
    const attemptMs = attemptShare(order.length, call.timeoutMs);
    // The try the call began with, taken over as the first attempt's.
    let begun = start?.outcome === undefined ? undefined : start;
    const attempt = async (): Promise<SuccessResponse | MembersResponse> => {
      const given = begun;
      begun = undefined;
      if (attemptMs === 0) return this.#tryOnce(request, order, at, call, call, given?.outcome);
      const bounded = given?.attempt ?? new AttemptDeadline(call, attemptMs);
      try {
        return await this.#tryOnce(request, order, at, bounded, call, given?.outcome);
      } finally {
        bounded.release();
      }
    };
    // Fast path: most calls succeed at once, and setting up p-retry costs
    // more than a request. A failed first try is handed to p-retry as its
    // first attempt, so logging, back-off and errors are as they were.
    let first: { error: unknown } | undefined;
    if (!call.aborted || begun) {
      try {
        const response = await attempt();
        if (!call.aborted) return response;
        first = { error: call.reason };
      } catch (error) {
        first = { error };
      }
    }
    const failedFirst = first;
    return pRetry(
      (n) => {
        if (n === 1 && failedFirst) return Promise.reject(this.#failed(failedFirst.error, call));
        return attempt().catch((err: unknown) => Promise.reject(this.#failed(err, call)));
      },
      {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: this.#options.minBackoffMs,
        maxTimeout: this.#options.maxBackoffMs,
        randomize: true,
        signal: call.abortSignal,
        onFailedAttempt: ({ error, attemptNumber }) => {
          // After a failure worth retrying, the next attempt goes to the next server.
          at = (at + 1) % order.length;
          call.stage = 'backing-off';
          this.#options.logger.debug?.('attempt failed, backing off', { attempt: attemptNumber, error: error.message });
          clientRetrying(request, attemptNumber, error, call.began);
        },
      },
    );
  }

  /**
   * One attempt, starting at `order[at]` and following redirects. `signal`
   * is the call's, or the attempt's own when there are several servers.
   * `begun`, when given, is the outcome of the request already sent to `order[at]`.
   */
  async #tryOnce(
    request: OutgoingRequest,
    order: readonly ServerAddress[],
    at: number,
    signal: CallSignal,
    call: CallDeadline,
    begun?: HopOutcome,
  ): Promise<SuccessResponse | MembersResponse> {
    const start = order[at]!;
    let current = start;
    call.redirectedBy = undefined;
    // Made on the first redirect only: most calls go straight to the leader.
    let visited: Set<ServerAddress> | undefined;
    for (let hops = 0; ; hops++) {
      let response;
      if (hops === 0 && begun !== undefined) {
        if ('error' in begun) throw this.#hopFailed(begun.error, current, signal, call);
        response = begun.response;
      } else {
        call.target = current;
        call.stage = 'dialing';
        call.dial = undefined;
        try {
          const connection = await this.#pool.acquire(current, signal, call);
          call.stage = 'waiting';
          response = await connection.request(request, signal);
        } catch (err) {
          throw this.#hopFailed(err, current, signal, call);
        }
      }
      this.#memory.answered(current);
      if (response.ok) {
        this.#memory.reached(order, start, current);
        return response;
      }
      const err = fromWireError(response, request.type === 'join' ? request.role : undefined);
      if (err instanceof DifferentLeaderError) {
        (visited ??= new Set()).add(current);
        // A redirect loop or a long chain means the cluster is mid-election: back off.
        if (hops >= this.#options.maxRedirects || visited.has(err.leader)) {
          call.record(err);
          throw err;
        }
        this.#options.logger.debug?.('redirected to the leader', { from: current, leader: err.leader });
        clientRedirected(request, current, err.leader, hops + 1);
        call.redirectedBy = current;
        current = err.leader;
        continue;
      }
      // An answer that the server is closing: it goes last for a while too.
      if (isServerMissing(err)) this.#memory.failed(current);
      call.record(err);
      throw err;
    }
  }

  /** Notes a request to `target` that got no answer; returns its error, to throw. */
  #hopFailed(err: unknown, target: ServerAddress, signal: CallSignal, call: CallDeadline): unknown {
    call.record(err);
    // The attempt's share ran out, or the server is not there: try it last for a while.
    if ((signal.aborted && !call.aborted) || isServerMissing(err)) this.#memory.failed(target);
    return err;
  }

  /** Classifies an attempt's failure for p-retry: retried, or final. */
  #failed(err: unknown, call: CallSignal): Error {
    if (call.aborted) return new StopRetrying(call.reason as Error);
    if (!isRetriable(err)) return new StopRetrying(err as Error);
    return err as Error;
  }
}
