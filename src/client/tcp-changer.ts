import type { Socket } from 'node:net';
import pRetry, { AbortError } from 'p-retry';
import { parseAddress } from '../membership/address.js';
import type { ChangeOptions, Changer } from '../membership/changer.js';
import { DifferentLeaderError, InvalidOptionError, ShuttingDownError } from '../membership/errors.js';
import type { ClusterConfiguration } from '../membership/read-configuration.js';
import { ServerRole, isServerRole, type ServerAddress, type ServerID } from '../membership/types.js';
import { clientRedirected, clientRetrying } from '../diagnostics.js';
import type { MembersResponse, SuccessResponse } from '../protocol/messages.js';
import { Channel } from '../protocol/preamble.js';
import { fromWireError } from '../protocol/wire-errors.js';
import { AttemptDeadline, CallDeadline, type CallSignal } from './call-deadline.js';
import type { OutgoingRequest } from './client-connection.js';
import { resolveClientOptions, type ResolvedClientOptions, type TcpChangerOptions } from './client-options.js';
import { ConnectionPool } from './connection-pool.js';
import { openSocket } from './open-socket.js';
import { isRetriable } from './retry-policy.js';

/** The least time an attempt at one of several seeds gets before the next seed's turn. */
const MIN_ATTEMPT_MS = 250;

/** Options of {@link TcpChanger.dial}; a bare number means `{ timeoutMs }`. */
export interface DialOptions {
  /** The deadline, in milliseconds. */
  readonly timeoutMs: number;
  /** Cancels the call; it then rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/**
 * The client side: asks a cluster, over TCP, to let this server join or
 * leave (a {@link Changer}), and opens raft streams to its peers.
 *
 * ```ts
 * const changer = new TcpChanger({ address: '10.0.0.4:7000' });
 * const index = await changer.join('n4', ['10.0.0.1:7000', '10.0.0.2:7000'], 10_000);
 * ```
 *
 * One deadline covers each call: dialing, waiting, redirects to the leader
 * and back-off while no leader is known. Connections are pooled per
 * target, pipelined and never keep the process alive.
 */
export class TcpChanger implements Changer {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedClientOptions;
  readonly #pool: ConnectionPool;
  /** Set by close(): every later call fails with it at once. */
  #closing: ShuttingDownError | undefined;
  /** Calls under way, aborted by `close()`. */
  readonly #calls = new Set<CallDeadline>();

  constructor(options: TcpChangerOptions = {}) {
    this.options = resolveClientOptions(options);
    this.#pool = new ConnectionPool(this.options);
  }

  /**
   * Asks the cluster to add server `id` (at this changer's `address`), via
   * `target` or the first of several seeds that answers (with several, each
   * attempt gets timeout / (seeds + 1), at least 250 ms, before the next
   * seed's turn). Resolves once the
   * change is committed, to the configuration's log index when reported.
   */
  join(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined> {
    const options = changeOptions(timeout);
    const role = options.role ?? ServerRole.Voter;
    if (!isServerRole(role)) return Promise.reject(new InvalidOptionError(`role must be "voter" or "nonvoter", got ${String(role)}`));
    const { address } = this.options;
    if (address === undefined) return Promise.reject(new InvalidOptionError('join needs the address option: this server\'s own raft address'));
    return this.#change({ type: 'join', id, address, role }, target, options).then((response) => response.index);
  }

  /** Asks the cluster to remove server `id`; resolves once that is committed. */
  leave(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined> {
    return this.#change({ type: 'leave', id }, target, changeOptions(timeout)).then((response) => response.index);
  }

  /**
   * The cluster's configuration as its leader knows it: every server's id,
   * address and role, and the configuration's log index when the leader's
   * raft reports one. Follows redirects and backs off like `join`, within
   * one deadline. Rejects with `UnsupportedRequestError` when the leader
   * does not serve its configuration (its raft has no `configuration()`,
   * or nothing told its server which raft it serves).
   *
   * ```ts
   * const { members } = await new TcpChanger().members('10.0.0.1:7000', 5_000);
   * for (const m of members) console.log(m.id, m.address, m.role);
   * ```
   */
  async members(target: ServerAddress | readonly ServerAddress[], timeout: number | DialOptions): Promise<ClusterConfiguration> {
    const response = await this.#change({ type: 'members' }, target, changeOptions(timeout));
    const members = 'members' in response ? response.members : [];
    return response.index === undefined ? { members } : { index: response.index, members };
  }

  /**
   * Opens a raft stream to `target` (hashicorp/raft's `StreamLayer.Dial`):
   * resolves to the socket once the peer accepted the raft channel. The
   * stream is the caller's to close.
   */
  async dial(target: ServerAddress, timeout: number | DialOptions): Promise<Socket> {
    const { timeoutMs, signal } = typeof timeout === 'number' ? { timeoutMs: timeout, signal: undefined } : timeout;
    const bound = this.#bound(timeoutMs, signal);
    try {
      return await openSocket(target, Channel.Raft, this.options, bound.abortSignal);
    } catch (err) {
      throw bound.translate(err, `dial of ${target}`, err);
    } finally {
      bound.release();
    }
  }

  /** Fails every pending call with `ShuttingDownError` and closes every connection. */
  close(): void {
    const reason = new ShuttingDownError('client closed');
    this.#closing = reason;
    for (const call of this.#calls) call.abort(reason);
    this.#pool.close();
  }

  async #change(request: OutgoingRequest, target: ServerAddress | readonly ServerAddress[], options: ChangeOptions): Promise<SuccessResponse | MembersResponse> {
    const seeds = typeof target === 'string' ? [target] : [...target];
    if (seeds.length === 0) throw new InvalidOptionError('target must name at least one server');
    for (const seed of seeds) this.#checkAddress(seed);
    const call = this.#bound(options.timeoutMs, options.signal);
    let lastError: unknown;
    let seedAt = 0;
    let next = seeds[0]!;
    // After a failure worth retrying, the next attempt goes to the next seed.
    const rotate = (): void => {
      seedAt = (seedAt + 1) % seeds.length;
      next = seeds[seedAt]!;
    };
    const began = performance.now();
    // With several seeds, an attempt gets its share of the deadline, so a
    // seed that never answers does not keep the others from their turn.
    const attemptMs = seeds.length > 1 ? Math.max(MIN_ATTEMPT_MS, options.timeoutMs / (seeds.length + 1)) : 0;
    const attempt = async (): Promise<SuccessResponse | MembersResponse> => {
      if (attemptMs === 0) return tryOnce(call);
      const bounded = new AttemptDeadline(call, attemptMs, next);
      try {
        return await tryOnce(bounded);
      } finally {
        bounded.release();
      }
    };
    /** One attempt: `signal` is the call's, or the attempt's own with several seeds. */
    const tryOnce = async (signal: CallSignal): Promise<SuccessResponse | MembersResponse> => {
      let current = next;
      // Made on the first redirect only: most calls go straight to the leader.
      let visited: Set<ServerAddress> | undefined;
      for (let hops = 0; ; hops++) {
        let response;
        try {
          const connection = await this.#pool.acquire(current, signal);
          response = await connection.request(request, signal);
        } catch (err) {
          // The deadline's own abort is not news: keep the failure before it as the cause.
          if (!call.aborted) lastError = err;
          throw this.#failed(err, call, rotate);
        }
        if (response.ok) return response;
        const err = fromWireError(response, request.type === 'join' ? request.role : undefined);
        lastError = err;
        if (err instanceof DifferentLeaderError) {
          next = err.leader;
          (visited ??= new Set()).add(current);
          // A redirect loop or a long chain means the cluster is mid-election: back off.
          if (hops >= this.options.maxRedirects || visited.has(err.leader)) throw err;
          this.options.logger.debug?.('redirected to the leader', { from: current, leader: err.leader });
          clientRedirected(request, current, err.leader, hops + 1);
          current = err.leader;
          continue;
        }
        throw this.#failed(err, call, rotate);
      }
    };
    try {
      // Fast path: most calls succeed at once, and setting up p-retry costs
      // more than a request. A failed first try is handed to p-retry as its
      // first attempt, so logging, back-off and errors are as they were.
      let first: { error: unknown } | undefined;
      if (!call.aborted) {
        try {
          const index = await attempt();
          if (!call.aborted) return index;
          first = { error: call.reason };
        } catch (error) {
          first = { error };
        }
      }
      const failedFirst = first;
      return await pRetry((n) => (n === 1 && failedFirst ? Promise.reject(failedFirst.error) : attempt()), {
        retries: Number.POSITIVE_INFINITY,
        factor: 2,
        minTimeout: this.options.minBackoffMs,
        maxTimeout: this.options.maxBackoffMs,
        randomize: true,
        signal: call.abortSignal,
        onFailedAttempt: ({ error, attemptNumber }) => {
          this.options.logger.debug?.('attempt failed, backing off', { attempt: attemptNumber, error: error.message });
          clientRetrying(request, attemptNumber, error, began);
        },
      });
    } catch (err) {
      throw call.translate(err, request.type === 'members' ? 'members' : `${request.type} of ${request.id}`, lastError);
    } finally {
      call.release();
    }
  }

  /** Addresses already found valid: parsing every call's target showed in profiles. */
  readonly #validTargets = new Set<ServerAddress>();

  #checkAddress(address: ServerAddress): void {
    if (this.#validTargets.has(address)) return;
    parseAddress(address);
    if (this.#validTargets.size >= 1024) this.#validTargets.clear();
    this.#validTargets.add(address);
  }

  /** Classifies an attempt's failure for p-retry: retried, or final. */
  #failed(err: unknown, call: CallSignal, rotate: () => void): Error {
    if (call.aborted) return new AbortError(call.reason as Error);
    if (!isRetriable(err)) return new AbortError(err as Error);
    rotate();
    return err as Error;
  }

  /** One deadline for a whole call, joined with the caller's signal and `close()`. */
  #bound(timeoutMs: number, userSignal: AbortSignal | undefined): CallDeadline {
    const call = new CallDeadline(timeoutMs, userSignal, this.#calls);
    if (this.#closing) call.abort(this.#closing);
    return call;
  }
}

function changeOptions(timeout: number | ChangeOptions | DialOptions): ChangeOptions {
  return typeof timeout === 'number' ? { timeoutMs: timeout } : timeout;
}
