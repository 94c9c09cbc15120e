import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { formatAddress } from '../membership/address.js';
import type { ChangeRequest } from '../membership/change-request.js';
import { MembershipError, MembershipTimeoutError, ShuttingDownError, UnsupportedRequestError } from '../membership/errors.js';
import { readConfiguration, type ClusterConfiguration, type ConfigurationSource } from '../membership/read-configuration.js';
import { serverOpened } from '../diagnostics.js';
import type { ServerAddress } from '../membership/types.js';
import { Channel, ReplyStatus } from '../protocol/preamble.js';
import { refusal } from '../protocol/server-handshake.js';
import { Admission, type AcceptedStep } from './admission.js';
import { AsyncQueue } from './async-queue.js';
import { ConnectionDeadlines } from './connection-deadlines.js';
import type { ConnectionCounts, Inbound } from './connection-limits.js';
import { DeadlineQueue } from './deadline-queue.js';
import { FairScheduler } from './fair-scheduler.js';
import { MembershipConnection, type ConnectionHost } from './membership-connection.js';
import { resolveServerOptions, type MembershipServerOptions, type ResolvedServerOptions } from './server-options.js';

/** How long `close()` lets connections flush their last responses. */
const CLOSE_GRACE_MS = 1_000;

/**
 * The accepting side: one port for membership requests and raft streams.
 *
 * ```ts
 * const server = new MembershipServer({ clusterName: 'prod' });
 * const address = await server.listen(7000, '0.0.0.0');
 * void handleChangeRequests(raft, server.requests);
 * const stream = await server.accept(); // a raft peer's stream
 * server.serveConfiguration(raft); // answer `members` requests too
 * ```
 */
export class MembershipServer implements ConnectionHost {
  /** The options in force, defaults filled in. */
  readonly options: ResolvedServerOptions;
  /** @internal */
  readonly scheduler = new FairScheduler();
  /** @internal */
  readonly deadlines: ConnectionDeadlines<MembershipConnection>;
  readonly #requests = new AsyncQueue<ChangeRequest>();
  readonly #streams = new AsyncQueue<Socket>();
  readonly #deadlines: DeadlineQueue<ChangeRequest>;
  readonly #admission: Admission;
  /** Raw sockets this server owns: in their TLS handshake or preamble, or membership connections. */
  readonly #sockets: Set<Socket>;
  readonly #connections = new Set<MembershipConnection>();
  #server: Server | undefined;
  #address: ServerAddress | undefined;
  #closing = false;
  #closed: Promise<void> | undefined;
  #configuration: ConfigurationSource | undefined;

  constructor(options: MembershipServerOptions = {}) {
    this.options = resolveServerOptions(options);
    this.deadlines = new ConnectionDeadlines(this.options);
    this.#admission = new Admission(this);
    this.#sockets = this.#admission.sockets;
    this.#deadlines = new DeadlineQueue(this.options.requestTimeoutMs, (request) => {
      if (!request.isDone) {
        request.done(new MembershipTimeoutError(`request not done within ${this.options.requestTimeoutMs} ms`));
      }
    });
  }

  /**
   * The change requests received, in order, for
   * `handleChangeRequests(raft, server.requests)`. Iterate it once; it ends
   * when the server closes.
   */
  get requests(): AsyncIterable<ChangeRequest> {
    return this.#requests;
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
   * other machines.
   */
  listen(port = 0, host = '127.0.0.1'): Promise<ServerAddress> {
    if (this.#server) return Promise.reject(new Error('server is already listening'));
    if (this.#closing) return Promise.reject(new ShuttingDownError('server is closed'));
    const server = this.options.tls
      ? createTlsServer(this.options.tls, (socket: TLSSocket) => this.#admission.secured(socket))
      : createNetServer({ noDelay: true }, (socket) => this.#admission.accepted(socket, false));
    // Counted from the TCP accept, before the TLS handshake: a flood of
    // handshakes is bounded like any other connection.
    if (this.options.tls) server.on('connection', (socket: Socket) => this.#admission.accepted(socket, true));
    this.#server = server;
    server.on('tlsClientError', (err: Error) => this.options.logger.debug?.('TLS handshake failed', { error: err.message }));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.options.logger.error?.('listener error', { error: err.message }));
        const bound = server.address();
        if (bound === null || typeof bound === 'string') {
          reject(new Error('server is not bound to a TCP port'));
          return;
        }
        this.#address = formatAddress(bound.address, bound.port);
        resolve(this.#address);
      });
    });
  }

  /** The bound address, once listening. */
  address(): ServerAddress {
    if (this.#address === undefined) throw new Error('server is not listening');
    return this.#address;
  }

  /**
   * The next raft stream a peer opened, once its preamble was accepted and
   * with none of its own bytes consumed (hashicorp/raft's
   * `StreamLayer.Accept`). Rejects with `ShuttingDownError` once the server
   * is closed, or with `signal.reason` on abort.
   */
  accept(signal?: AbortSignal): Promise<Duplex> {
    return this.#streams.shift(signal);
  }

  /**
   * Answers `members` requests from `raft`: on the leader with
   * `raft.configuration()` (bounded by `requestTimeoutMs`), elsewhere with
   * `different_leader` or `unknown_leader` so that the client follows, like
   * a change. Until this is called, or after `serveConfiguration(undefined)`,
   * and when `raft` has no `configuration()`, they are answered
   * `unsupported`. Unlike changes, these requests never reach
   * {@link MembershipServer.requests}: reading the configuration changes
   * nothing, so there is no queue to go through.
   *
   * Call it once raft exists: raft's transport usually needs this server's
   * `accept()` first.
   *
   * ```ts
   * const server = new MembershipServer();
   * await server.listen(7000);
   * const raft = createRaft({ accept: (signal) => server.accept(signal) }); // your raft library
   * void handleChangeRequests(raft, server.requests);
   * server.serveConfiguration(raft);
   * ```
   */
  serveConfiguration(raft: ConfigurationSource | undefined): void {
    this.#configuration = raft;
  }

  /** @internal The answer to a `members` request, for a connection. */
  async members(): Promise<ClusterConfiguration> {
    const source = this.#configuration;
    if (!source) throw new UnsupportedRequestError('this server does not serve its configuration');
    try {
      return await readConfiguration(source, this.options.requestTimeoutMs);
    } catch (err) {
      // Unclassified errors go out as `internal` without their text: keep it here.
      if (!(err instanceof MembershipError)) this.options.logger.error?.('reading the configuration failed', { error: (err as Error)?.message });
      throw err;
    }
  }

  /** @internal */
  submit(request: ChangeRequest): void {
    this.#deadlines.add(request);
    this.#requests.push(request);
  }

  /** @internal */
  settle(request: ChangeRequest): void {
    this.#deadlines.delete(request);
  }

  /**
   * Stops accepting, answers every pending request with `shutting_down`,
   * ends `requests`, rejects waiting `accept()` calls and closes every
   * connection it owns. Raft streams already handed out belong to raft.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#server?.close();
    for (const request of this.#requests.end()) {
      if (!request.isDone) request.done(new ShuttingDownError('server closed before handling the request'));
    }
    for (const request of this.#deadlines.items()) {
      if (!request.isDone) request.done(new ShuttingDownError('server closed while handling the request'));
    }
    this.#deadlines.clear();
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
    const connection = new MembershipConnection(socket, this, step.rest);
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
