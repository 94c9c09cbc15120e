import type { Socket } from 'node:net';
import { parseAddress } from '../membership/address.js';
import type { ChangeOptions, Changer } from '../membership/changer.js';
import { InvalidOptionError, ShuttingDownError } from '../membership/errors.js';
import type { ClusterConfiguration } from '../membership/read-configuration.js';
import type { ServerAddress, ServerID } from '../membership/types.js';
import { Channel } from '../protocol/preamble.js';
import { callOptions, checkServerId, targetList } from './call-arguments.js';
import { CallDeadline } from './call-deadline.js';
import { CallDeadlines } from './call-deadlines.js';
import { ChangeCall, type ChangeRequest } from './change-call.js';
import { resolveClientOptions, type ResolvedClientOptions, type TcpChangerOptions } from './client-options.js';
import { ConnectionPool } from './connection-pool.js';
import { EndpointMemory } from './endpoint-memory.js';
import { LeaderCaller } from './leader-caller.js';
import { readAllPages } from './members-pages.js';
import { openSocket } from './open-socket.js';
import { SocketSet } from './socket-set.js';
import { PlainTargets } from './tls-mismatch.js';

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
  readonly #caller: LeaderCaller;
  /** Raft streams being dialed: `close()` waits for them. */
  readonly #dials = new SocketSet();
  /** Set by close(): every later call fails with it at once. */
  #closing: ShuttingDownError | undefined;
  #closed: Promise<void> | undefined;
  /** The deadlines of the calls under way, which `close()` aborts. */
  readonly #calls = new CallDeadlines();
  /** Targets a TLS probe found plain, for the pool's dials and raft dials alike. */
  readonly #plainTargets = new PlainTargets();

  constructor(options: TcpChangerOptions = {}) {
    this.options = resolveClientOptions(options);
    this.#pool = new ConnectionPool(this.options, this.#plainTargets);
    this.#caller = new LeaderCaller(this.options, this.#pool, new EndpointMemory());
  }

  /**
   * Asks the cluster to add server `id` (at this changer's `address`), via
   * `target` or the first of several seeds that answers (with several, each
   * attempt gets timeout / (seeds + 1), at least 250 ms, before the next
   * seed's turn). `timeout` is in milliseconds, at least 100. Resolves once
   * the change is committed, to the configuration's log index when reported.
   */
  join(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined> {
    try {
      checkServerId(id);
      const seeds = this.#targets(target);
      const { timeoutMs, signal, role } = callOptions(timeout, true);
      const { address } = this.options;
      if (address === undefined) throw new InvalidOptionError("join needs the address option: this server's own raft address, where its MembershipServer listens");
      return this.#change({ type: 'join', id, address, role }, seeds, timeoutMs, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Asks the cluster to remove server `id`; resolves once that is committed. Arguments as for `join`. */
  leave(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined> {
    try {
      checkServerId(id);
      const seeds = this.#targets(target);
      const { timeoutMs, signal } = callOptions(timeout, true);
      return this.#change({ type: 'leave', id }, seeds, timeoutMs, signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * The cluster's configuration as its leader knows it: every server's id,
   * address and role, the configuration's log index when the leader's raft
   * reports one, and the leader's address. A large configuration comes in
   * pages, read in turn (and read again from the start if it changes in
   * between). Follows redirects and backs off like `join`, within one
   * deadline. Rejects with `UnsupportedRequestError` when the leader does
   * not serve its configuration (its raft has no `configuration()`, or
   * nothing told its server which raft it serves).
   *
   * The servers are frozen objects: the changer remembers the last pages it
   * read, and an answer that has a server again hands back the same object
   * (reading an unchanged configuration again costs one comparison of its
   * bytes). The `members` array is the caller's own.
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
      return await readAllPages(async (offset) => ({ response: await this.#caller.run({ type: 'members', offset }, seeds, call), from: call.target! }));
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
      const socket = await openSocket(address!, Channel.Raft, this.options, bound.abortSignal, { progress: bound.dial, onSocket: this.#dials.add, plainTargets: this.#plainTargets });
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
      for (const call of this.#calls.all()) if (call instanceof CallDeadline) call.abort(reason);
      this.#calls.stop();
      this.#closed = Promise.all([this.#pool.close(), this.#dials.closed()]).then(() => undefined);
    }
    return this.#closed;
  }

  /** `await using changer = new TcpChanger(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A join or a leave, within one deadline (its arguments checked). */
  #change(request: ChangeRequest, seeds: readonly ServerAddress[], timeoutMs: number, signal: AbortSignal | undefined): Promise<number | undefined> {
    const call = new ChangeCall(this.#caller, request, seeds, timeoutMs, signal, this.#calls);
    if (this.#closing) call.abort(this.#closing);
    return call.start();
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

  /** One deadline for a whole call, joined with the caller's signal and `close()`. */
  #bound(timeoutMs: number, userSignal: AbortSignal | undefined): CallDeadline {
    const call = new CallDeadline(timeoutMs, userSignal, this.#calls);
    if (this.#closing) call.abort(this.#closing);
    return call;
  }
}
