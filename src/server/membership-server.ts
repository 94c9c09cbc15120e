import { EventEmitter } from 'node:events';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { formatAddress } from '../membership/address.js';
import { invalidOption } from '../membership/option-checks.js';
import type { ChangeRequest } from '../membership/change-request.js';
import { ServerAlreadyListeningError, ServerNotRunningError, ShuttingDownError } from '../membership/errors.js';
import type { ConfigurationSource } from '../membership/read-configuration.js';
import { serverOpened } from '../diagnostics.js';
import type { ServerAddress } from '../membership/types.js';
import { Channel, ReplyStatus } from '../protocol/preamble.js';
import { refusal } from '../protocol/server-handshake.js';
import { Admission, type AcceptedStep } from './admission.js';
import { AsyncQueue } from './async-queue.js';
import type { ClientRequest } from './client-request.js';
import { ConnectionDeadlines } from './connection-deadlines.js';
import type { ConnectionCounts, Inbound } from './connection-limits.js';
import { FairScheduler } from './fair-scheduler.js';
import { PeerRates } from './peer-rates.js';
import { MembersAnswers, type MembersAnswer } from './members-answers.js';
import { MembershipConnection, type ConnectionHost } from './membership-connection.js';
import { ChangeQueue } from './request-queue.js';
import { resolveServerOptions, type MembershipServerOptions, type ResolvedServerOptions } from './server-options.js';

/** How long `close()` lets connections flush their last responses. */
const CLOSE_GRACE_MS = 1_000;

/** The events of a {@link MembershipServer}. */
export interface MembershipServerEvents {
  /**
   * The listening socket failed after `listen()` resolved: in practice an
   * accept failure such as `EMFILE` (out of file descriptors) or
   * `ECONNABORTED`. These are transient: the server keeps listening, and
   * accepts again once descriptors are free. Unlike `net.Server`'s, this
   * event is optional: with no listener the error goes to the logger only
   * and never throws, so that a flood of connections cannot crash a
   * server by exhausting its descriptors.
   */
  error: [err: Error];
}

/**
 * The accepting side: one port for membership requests and raft streams.
 * `await using` closes it (`Symbol.asyncDispose`).
 *
 * ```ts
 * const server = new MembershipServer({ clusterName: 'prod' });
 * const address = await server.listen(7000, '0.0.0.0');
 * void handleChangeRequests(raft, server.requests); // also answers `members` from raft
 * const stream = await server.accept(); // a raft peer's stream
 * ```
 */
export class MembershipServer extends EventEmitter<MembershipServerEvents> implements ConnectionHost, AsyncDisposable {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedServerOptions;
  /** @internal */
  readonly scheduler = new FairScheduler();
  /** @internal */
  readonly deadlines: ConnectionDeadlines<MembershipConnection>;
  /** @internal */
  readonly rates: PeerRates;
  readonly #changes: ChangeQueue;
  readonly #streams = new AsyncQueue<Socket>();
  readonly #members: MembersAnswers;
  readonly #admission: Admission;
  /** Raw sockets this server owns: in their TLS handshake or preamble, or membership connections. */
  readonly #sockets: Set<Socket>;
  readonly #connections = new Set<MembershipConnection>();
  #server: Server | undefined;
  #address: ServerAddress | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  /** Given by `serveConfiguration()`: answers `members` in place of the raft learned from the consumer. */
  #configuration: ConfigurationSource | undefined;
  /** The raft `handleChangeRequests` applies this server's requests to. */
  #raft: ConfigurationSource | undefined;

  constructor(options: MembershipServerOptions = {}) {
    super();
    this.options = resolveServerOptions(options);
    this.deadlines = new ConnectionDeadlines(this.options);
    this.rates = new PeerRates(this.options.requestRatePerPeer, this.options.requestBurstPerPeer);
    this.#admission = new Admission(this);
    this.#sockets = this.#admission.sockets;
    const { requestTimeoutMs, logger } = this.options;
    this.#changes = new ChangeQueue({ requestTimeoutMs, logger, onRaft: (raft) => (this.#raft = raft) });
    this.#members = new MembersAnswers(requestTimeoutMs, logger);
  }

  /**
   * The change requests received, in order, for
   * `handleChangeRequests(raft, server.requests)`, which also tells the
   * server its raft. Iterate it once; it ends when the server closes.
   * A request identical (same kind, id, address and role) to the latest
   * change queued or being made for the same server id is not queued again:
   * it gets that change's outcome. Until something consumes `requests`,
   * requests time out saying so.
   */
  get requests(): AsyncIterable<ChangeRequest> {
    return this.#changes;
  }

  /** True once `close()` was called. */
  get closing(): boolean {
    return this.#closing;
  }

  /** Connections currently served (in their TLS handshake, preamble, or membership). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /**
   * Every inbound connection open now, by stage, as the limits count them:
   * raft streams too, until they close, and refused connections still
   * delivering their refusal.
   */
  get connectionCounts(): ConnectionCounts {
    return this.#admission.counts();
  }

  /**
   * Starts listening; resolves to the bound address. Port 0 picks a free
   * one. The host defaults to loopback: pass `'0.0.0.0'` or `'::'` to serve
   * other machines. Rejects with `InvalidOptionError` for a port that is
   * not an integer from 0 to 65535 (a string too: `net.Server` would take
   * one that is not a number for a pipe's path) or a host that is not a
   * non-empty string, and with Node's error (`EADDRINUSE`, …) when the port
   * cannot be bound; the server can then listen() again.
   */
  listen(port = 0, host = '127.0.0.1'): Promise<ServerAddress> {
    if (this.#server) return Promise.reject(new ServerAlreadyListeningError());
    if (this.#closing) return Promise.reject(new ShuttingDownError('server is closed'));
    if (!Number.isInteger(port) || port < 0 || port > 65535) return Promise.reject(invalidOption('port', 'an integer from 0 to 65535 (0: any free port)', port));
    if (typeof host !== 'string' || host === '') return Promise.reject(invalidOption('host', 'a non-empty string (an IP address or a host name)', host));
    const server = this.options.tls
      ? createTlsServer(this.options.tls, (socket: TLSSocket) => this.#admission.secured(socket))
      : createNetServer({ noDelay: true }, (socket) => this.#admission.accepted(socket, false));
    // Counted from the TCP accept, before the TLS handshake: a flood of
    // handshakes is bounded like any other connection.
    if (this.options.tls) server.on('connection', (socket: Socket) => this.#admission.accepted(socket, true));
    this.#server = server;
    server.on('tlsClientError', (err: Error) => this.options.logger.debug?.('TLS handshake failed', { error: err.message }));
    return new Promise((resolve, reject) => {
      // A port in use, say: the server can try listen() again.
      const fail = (err: Error): void => {
        this.#server = undefined;
        reject(err);
      };
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        server.on('error', (err) => this.#onListenerError(err));
        const bound = server.address();
        if (bound === null || typeof bound === 'string') {
          reject(new ServerNotRunningError('server is not bound to a TCP port'));
          return;
        }
        this.#address = formatAddress(bound.address, bound.port);
        resolve(this.#address);
      });
    });
  }

  /**
   * The bound address, once `listen()` resolved (and still after `close()`).
   * Throws {@link ServerNotRunningError} before.
   */
  address(): ServerAddress {
    if (this.#address === undefined) throw new ServerNotRunningError();
    return this.#address;
  }

  /** See {@link MembershipServerEvents.error}. */
  #onListenerError(err: Error): void {
    this.options.logger.error?.('listening socket error', { error: err.message, code: (err as NodeJS.ErrnoException).code });
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  /**
   * The next raft stream a peer opened, once its preamble was accepted and
   * with none of its own bytes consumed (hashicorp/raft's
   * `StreamLayer.Accept`). Rejects with `ShuttingDownError` once the server
   * is closed, or on abort with an `AbortError` (code `ABORT_ERR`)
   * whose `cause` is `signal.reason`, as Node core's aborts do.
   */
  accept(signal?: AbortSignal): Promise<Duplex> {
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(invalidOption('signal', 'an AbortSignal', signal));
    return this.#streams.shift(signal, 'accept()');
  }

  /**
   * Where `members` requests are answered from, in place of the raft that
   * `handleChangeRequests(raft, server.requests)` told the server about:
   * only needed when something else consumes `requests`, or when the
   * configuration comes from another object. `undefined` goes back to that
   * raft. Either way the leader answers with `configuration()` (bounded by
   * `requestTimeoutMs`; `unsupported` when the raft has none) and any
   * other server with `different_leader` or `unknown_leader`, so that the
   * client follows, like a change; with no raft known at all, `members` is
   * answered `unsupported`. Unlike changes, these requests never reach
   * {@link MembershipServer.requests}: reading the configuration changes
   * nothing, so there is no queue to go through.
   *
   * ```ts
   * const server = new MembershipServer();
   * await server.listen(7000);
   * const raft = createRaft({ accept: (signal) => server.accept(signal) }); // your raft library
   * void myOwnLoop(raft, server.requests); // not handleChangeRequests
   * server.serveConfiguration(raft);
   * ```
   */
  serveConfiguration(raft: ConfigurationSource | undefined): void {
    if (raft !== undefined) {
      if (typeof raft !== 'object' || raft === null) throw invalidOption('raft', 'an object with state(), leader() and configuration(), or undefined', raft);
      for (const method of ['state', 'leader'] as const) {
        if (typeof raft[method] !== 'function') throw invalidOption(`raft.${method}`, 'a function', raft[method]);
      }
      if (raft.configuration !== undefined && typeof raft.configuration !== 'function') throw invalidOption('raft.configuration', 'a function, or absent', raft.configuration);
    }
    this.#configuration = raft;
  }

  /** @internal The answer to a `members` request, for a connection; never rejects. */
  members(rid: number, offset: number): Promise<MembersAnswer> {
    return this.#members.answer(this.#configuration ?? this.#raft, rid, offset);
  }

  /** @internal */
  submit(request: ClientRequest, peer: string, now: number): void {
    this.#changes.submit(request, peer, now);
  }

  /** @internal */
  settle(request: ClientRequest): void {
    this.#changes.settle(request);
  }

  /**
   * Stops accepting and answers what it can truthfully: requests whose
   * change was not begun get `shutting_down` (not made); changes raft is
   * making get `closeGraceMs` to finish, so that their clients learn the
   * outcome, and are then answered `timeout` (outcome unknown). Then it ends
   * `requests` (so `handleChangeRequests` returns), rejects waiting
   * `accept()` calls and closes every connection it owns. Raft streams
   * already handed out belong to raft.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /** Closes the server: `await using server = new MembershipServer()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#server?.close();
    await this.#changes.close(this.options.closeGraceMs);
    for (const stream of this.#streams.end()) stream.destroy();
    // Let the responses just written leave (they are corked until next tick).
    await new Promise((resolve) => setImmediate(resolve));
    for (const connection of this.#connections) connection.end();
    await Promise.race([allClosed(this.#sockets), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
    for (const socket of this.#sockets) socket.destroy();
    this.#admission.close();
    // Resolve only once they are gone, so connectionCount is 0 when close() is done.
    await allClosed(this.#sockets);
    this.deadlines.clear();
  }

  /** @internal The preamble of `socket` accepted it: serve its channel, within the limits. */
  opened(socket: Socket, inbound: Inbound, step: AcceptedStep): void {
    // close() may have begun while the preamble ran: either channel is refused then.
    if (this.#closing) return this.#admission.refuse(socket, inbound, refusal(ReplyStatus.ShuttingDown, 'server is shutting down'));
    if (step.channel === Channel.Raft) return this.#acceptStream(socket, inbound, step);
    const full = this.#admission.limits.toMembership(inbound);
    if (full) return this.#admission.refuseBusy(socket, inbound, full);
    socket.write(step.send);
    serverOpened(socket, Channel.Membership);
    const connection = new MembershipConnection(socket, this, step.rest, inbound.peer);
    this.#connections.add(connection);
    socket.once('close', () => this.#connections.delete(connection));
  }

  #acceptStream(socket: Socket, inbound: Inbound, step: AcceptedStep): void {
    if (this.#streams.size >= this.options.maxPendingStreams) return this.#admission.refuseBusy(socket, inbound, 'too many raft streams waiting');
    socket.write(step.send);
    serverOpened(socket, Channel.Raft);
    if (step.rest.length > 0) socket.unshift(step.rest);
    // From here on the stream is raft's: this server no longer owns it, but
    // counts it against its limits until it closes.
    this.#admission.limits.toRaft(inbound);
    this.#admission.handOff(inbound);
    this.#streams.push(socket);
  }
}

/** Resolves once every socket has emitted 'close' (the server's sockets leave its set only then). */
function allClosed(sockets: Iterable<Socket>): Promise<unknown> {
  return Promise.all([...sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve))));
}
