import type { Socket } from 'node:net';
import pRetry, { AbortError as StopRetrying } from 'p-retry';
import { parseAddress } from '../membership/address.js';
import type { ChangeOptions, Changer } from '../membership/changer.js';
import { DifferentLeaderError, InvalidOptionError, ShuttingDownError } from '../membership/errors.js';
import type { ClusterConfiguration } from '../membership/read-configuration.js';
import type { ServerAddress, ServerID } from '../membership/types.js';
import { clientRedirected, clientRetrying } from '../diagnostics.js';
import type { MembersResponse, SuccessResponse } from '../protocol/messages.js';
import { Channel } from '../protocol/preamble.js';
import { fromWireError } from '../protocol/wire-errors.js';
import { callOptions, checkServerId, targetList } from './call-arguments.js';
import { AttemptDeadline, CallDeadline, type CallSignal } from './call-deadline.js';
import type { OutgoingRequest } from './client-connection.js';
import { resolveClientOptions, type ResolvedClientOptions, type TcpChangerOptions } from './client-options.js';
import { ConnectionPool } from './connection-pool.js';
import { EndpointMemory } from './endpoint-memory.js';
import { readAllPages } from './members-pages.js';
import { openSocket } from './open-socket.js';
import { isRetriable, isServerMissing } from './retry-policy.js';
import { SocketSet } from './socket-set.js';

/** The least time an attempt at one of several servers gets before the next one's turn. */
const MIN_ATTEMPT_MS = 250;

/** Options of {@link TcpChanger.dial} and {@link TcpChanger.members}; a bare number means `{ timeoutMs }`. */
export interface DialOptions {
  /** The deadline, in milliseconds (at least 100: a smaller figure is taken for seconds by mistake). */
  readonly timeoutMs: number;
  /** Cancels the call; it then rejects with an `AbortError` whose `cause` is `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** What {@link TcpChanger.members} resolves to: the configuration, and who answered. */
export interface MembersResult extends ClusterConfiguration {
  /** The server that answered: the leader, which alone answers `members` requests. */
  readonly leader: ServerAddress;
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
 * target, pipelined and never keep the process alive. The changer
 * remembers the last leader it reached (the next call goes straight to
 * it) and which servers failed (tried last for a while).
 */
export class TcpChanger implements Changer {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedClientOptions;
  readonly #pool: ConnectionPool;
  readonly #memory = new EndpointMemory();
  /** Raft streams being dialed: `close()` waits for them. */
  readonly #dials = new SocketSet();
  /** Set by close(): every later call fails with it at once. */
  #closing: ShuttingDownError | undefined;
  #closed: Promise<void> | undefined;
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
   * seed's turn). `timeout` is in milliseconds, at least 100. Resolves once
   * the change is committed, to the configuration's log index when reported.
   */
  async join(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined> {
    checkServerId(id);
    const seeds = this.#targets(target);
    const { timeoutMs, signal, role } = callOptions(timeout, true);
    const { address } = this.options;
    if (address === undefined) throw new InvalidOptionError("join needs the address option: this server's own raft address, where its MembershipServer listens");
    return this.#change({ type: 'join', id, address, role }, seeds, timeoutMs, signal);
  }

  /** Asks the cluster to remove server `id`; resolves once that is committed. Arguments as for `join`. */
  async leave(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined> {
    checkServerId(id);
    const seeds = this.#targets(target);
    const { timeoutMs, signal } = callOptions(timeout, true);
    return this.#change({ type: 'leave', id }, seeds, timeoutMs, signal);
  }

  /**
   * The cluster's configuration as its leader knows it: every server's id,
   * address and role, the configuration's log index when the leader's raft
   * reports one, and the leader's address. A large configuration comes in
   * pages, read in turn (and read again from the start if it changes in
   * between). Follows redirects and backs off like `join`, within one
   * deadline. Rejects with `UnsupportedRequestError` when the leader does
   * not serve its configuration (see `MembershipServer.serveConfiguration`).
   *
   * ```ts
   * const { members, leader } = await new TcpChanger().members('10.0.0.1:7000', 5_000);
   * for (const m of members) console.log(m.id, m.address, m.role, m.address === leader ? '(leader)' : '');
   * ```
   */
  async members(target: ServerAddress | readonly ServerAddress[], timeout: number | DialOptions): Promise<MembersResult> {
    const seeds = this.#targets(target);
    const { timeoutMs, signal } = callOptions(timeout, false);
    const call = this.#bound(timeoutMs, signal);
    try {
      return await readAllPages(async (offset) => ({ response: await this.#run({ type: 'members', offset }, seeds, call), from: call.target! }));
    } catch (err) {
      throw call.translate(err, 'members');
    } finally {
      call.release();
    }
  }

  /**
   * Opens a raft stream to `target` (hashicorp/raft's `StreamLayer.Dial`):
   * resolves to the socket once the peer accepted the raft channel. The
   * stream is the caller's to close.
   */
  async dial(target: ServerAddress, timeout: number | DialOptions): Promise<Socket> {
    const [address] = this.#targets(target);
    const { timeoutMs, signal } = callOptions(timeout, false);
    const bound = this.#bound(timeoutMs, signal);
    bound.target = address;
    bound.dial = { connected: false };
    try {
      const socket = await openSocket(address!, Channel.Raft, this.options, bound.abortSignal, { progress: bound.dial, onSocket: this.#dials.add });
      this.#dials.delete(socket);
      return socket;
    } catch (err) {
      bound.record(err);
      throw bound.translate(err, `dial of ${address}`);
    } finally {
      bound.release();
    }
  }

  /**
   * Fails every pending call with `ShuttingDownError` and closes every
   * connection. The promise settles once every socket is closed (raft
   * streams already handed out are the caller's); it never rejects, so
   * calling it without `await` is fine.
   */
  close(): Promise<void> {
    if (!this.#closed) {
      const reason = new ShuttingDownError('client closed');
      this.#closing = reason;
      for (const call of this.#calls) call.abort(reason);
      this.#closed = Promise.all([this.#pool.close(), this.#dials.closed()]).then(() => undefined);
    }
    return this.#closed;
  }

  /** `await using changer = new TcpChanger(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #change(request: OutgoingRequest, seeds: readonly ServerAddress[], timeoutMs: number, signal: AbortSignal | undefined): Promise<number | undefined> {
    const call = this.#bound(timeoutMs, signal);
    try {
      return (await this.#run(request, seeds, call)).index;
    } catch (err) {
      throw call.translate(err, request.type === 'members' ? 'members' : `${request.type} of ${request.id}`);
    } finally {
      call.release();
    }
  }

  /**
   * Sends `request` until the leader answers it: to the leader remembered
   * for these seeds first, then the seeds (those that failed lately last),
   * following redirects and backing off between tries, within `call`.
   * Resolves to the answer; `call.target` is then the server that gave it.
   */
  async #run(request: OutgoingRequest, seeds: readonly ServerAddress[], call: CallDeadline): Promise<SuccessResponse | MembersResponse> {
    const order = this.#memory.order(seeds);
    let at = 0;
    // With several servers to try, an attempt gets its share of the
    // deadline, so one that never answers does not keep the others from their turn.
    const attemptMs = order.length > 1 ? Math.max(MIN_ATTEMPT_MS, call.timeoutMs / (order.length + 1)) : 0;
    const attempt = async (): Promise<SuccessResponse | MembersResponse> => {
      if (attemptMs === 0) return this.#tryOnce(request, order, at, call, call);
      const bounded = new AttemptDeadline(call, attemptMs, call);
      try {
        return await this.#tryOnce(request, order, at, bounded, call);
      } finally {
        bounded.release();
      }
    };
    const began = performance.now();
    // Fast path: most calls succeed at once, and setting up p-retry costs
    // more than a request. A failed first try is handed to p-retry as its
    // first attempt, so logging, back-off and errors are as they were.
    let first: { error: unknown } | undefined;
    if (!call.aborted) {
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
        minTimeout: this.options.minBackoffMs,
        maxTimeout: this.options.maxBackoffMs,
        randomize: true,
        signal: call.abortSignal,
        onFailedAttempt: ({ error, attemptNumber }) => {
          // After a failure worth retrying, the next attempt goes to the next server.
          at = (at + 1) % order.length;
          call.stage = 'backing-off';
          this.options.logger.debug?.('attempt failed, backing off', { attempt: attemptNumber, error: error.message });
          clientRetrying(request, attemptNumber, error, began);
        },
      },
    );
  }

  /**
   * One attempt, starting at `order[at]` and following redirects. `signal`
   * is the call's, or the attempt's own when there are several servers.
   */
  async #tryOnce(request: OutgoingRequest, order: readonly ServerAddress[], at: number, signal: CallSignal, call: CallDeadline): Promise<SuccessResponse | MembersResponse> {
    const start = order[at]!;
    let current = start;
    call.redirectedBy = undefined;
    // Made on the first redirect only: most calls go straight to the leader.
    let visited: Set<ServerAddress> | undefined;
    for (let hops = 0; ; hops++) {
      call.target = current;
      call.stage = 'dialing';
      call.dial = undefined;
      let response;
      try {
        const connection = await this.#pool.acquire(current, signal, call);
        call.stage = 'waiting';
        response = await connection.request(request, signal);
      } catch (err) {
        call.record(err);
        // The attempt's share ran out, or the server is not there: try it last for a while.
        if ((signal.aborted && !call.aborted) || isServerMissing(err)) this.#memory.failed(current);
        throw err;
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
        if (hops >= this.options.maxRedirects || visited.has(err.leader)) {
          call.record(err);
          throw err;
        }
        this.options.logger.debug?.('redirected to the leader', { from: current, leader: err.leader });
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

  /** Checks a call's target (parsed once per address: parsing every call's showed in profiles). */
  #targets(target: unknown): readonly ServerAddress[] {
    const seeds = targetList(target);
    for (const seed of seeds) {
      if (this.#validTargets.has(seed)) continue;
      parseAddress(seed);
      if (this.#validTargets.size >= 1024) this.#validTargets.clear();
      this.#validTargets.add(seed);
    }
    return seeds;
  }

  /** Addresses already found valid. */
  readonly #validTargets = new Set<ServerAddress>();

  /** Classifies an attempt's failure for p-retry: retried, or final. */
  #failed(err: unknown, call: CallSignal): Error {
    if (call.aborted) return new StopRetrying(call.reason as Error);
    if (!isRetriable(err)) return new StopRetrying(err as Error);
    return err as Error;
  }

  /** One deadline for a whole call, joined with the caller's signal and `close()`. */
  #bound(timeoutMs: number, userSignal: AbortSignal | undefined): CallDeadline {
    const call = new CallDeadline(timeoutMs, userSignal, this.#calls);
    if (this.#closing) call.abort(this.#closing);
    return call;
  }
}
