/**
 * Observability through `node:diagnostics_channel`, as undici does it: the
 * server and the client publish what happens to requests and connections,
 * and anyone may subscribe by channel name without this library knowing.
 * Every publisher first checks `hasSubscribers`, so nothing is built, timed
 * or listened to while nobody subscribes. See docs/observability.md.
 *
 * Server and client both use this file, so it sits beside `index.ts`
 * rather than in either of their folders.
 */
import { channel } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { ServerAddress, ServerID, ServerRole } from './membership/types.js';
import type { RequestMessage, ResponseMessage } from './protocol/messages.js';
import { replyStatusName } from './protocol/preamble.js';

/**
 * The names of the channels this library publishes on; subscribe with
 * `diagnostics_channel.subscribe(DiagnosticsChannel.ServerRequest, fn)`.
 * The payload of each is the interface named beside it.
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * subscribe(DiagnosticsChannel.ClientRedirect, (message) => {
 *   const { from, leader } = message as ClientRedirectEvent;
 *   console.log(`redirected from ${from} to the leader at ${leader}`);
 * });
 * ```
 */
export const DiagnosticsChannel = {
  /** A membership request was received and decoded: {@link ServerRequestEvent}. */
  ServerRequest: 'raft-membership:server:request',
  /** The server answered a request, `bad_request` answers included: {@link ServerResponseEvent}. */
  ServerResponse: 'raft-membership:server:response',
  /** A connection completed its preamble on the server: {@link ServerConnectionOpenEvent}. */
  ServerConnectionOpen: 'raft-membership:server:connection:open',
  /** The server refused a connection's preamble: {@link ServerConnectionRefusedEvent}. */
  ServerConnectionRefused: 'raft-membership:server:connection:refused',
  /** A connection the server accepted closed: {@link ServerConnectionCloseEvent}. */
  ServerConnectionClose: 'raft-membership:server:connection:close',
  /** The server dropped a membership connection for a protocol violation: {@link ServerProtocolErrorEvent}. */
  ServerProtocolError: 'raft-membership:server:protocol-error',
  /** The client completed a dial and its preamble: {@link ClientConnectionOpenEvent}. */
  ClientConnectionOpen: 'raft-membership:client:connection:open',
  /** A dial or its preamble failed or was refused: {@link ClientConnectionRefusedEvent}. */
  ClientConnectionRefused: 'raft-membership:client:connection:refused',
  /** A connection the client opened closed: {@link ClientConnectionCloseEvent}. */
  ClientConnectionClose: 'raft-membership:client:connection:close',
  /** The client followed a `different_leader` answer: {@link ClientRedirectEvent}. */
  ClientRedirect: 'raft-membership:client:redirect',
  /** An attempt failed and the client backs off to try again: {@link ClientRetryEvent}. */
  ClientRetry: 'raft-membership:client:retry',
} as const;

/** One of {@link DiagnosticsChannel}'s values. */
export type DiagnosticsChannel = (typeof DiagnosticsChannel)[keyof typeof DiagnosticsChannel];

/** The channel a connection carries, by name. */
export type ChannelName = 'membership' | 'raft';

/** Which request, as the events name it. */
export interface RequestSummary {
  /** `'join'`, `'leave'` or `'members'`. */
  readonly type: RequestMessage['type'];
  /** The server id a join or leave is about. */
  readonly id?: ServerID;
}

/** Payload of `raft-membership:server:request`. */
export interface ServerRequestEvent extends RequestSummary {
  /** The connection it came on. */
  readonly socket: Socket;
  /** The peer's `host:port`. */
  readonly remote: string;
  /** The request id the client chose. */
  readonly rid: number;
  /** The joining server's address (join only). */
  readonly address?: ServerAddress;
  /** The role a joining server asks for (join only). */
  readonly role?: ServerRole;
}

/** Payload of `raft-membership:server:response`. */
export interface ServerResponseEvent {
  /** The connection it goes out on. */
  readonly socket: Socket;
  /** The peer's `host:port`. */
  readonly remote: string;
  /** The request id answered. */
  readonly rid: number;
  /**
   * The request answered; absent if nobody subscribed when it was received,
   * and for a `bad_request` answer to a request the server did not accept
   * (one it could not validate, or a rid already in flight).
   */
  readonly request?: RequestSummary;
  /** True for a success. */
  readonly ok: boolean;
  /** The wire error code of a failure (`different_leader`, `timeout`, …). */
  readonly code?: string;
  /** The configuration's log index, when the success reported one. */
  readonly index?: number;
  /** From receipt to answer, in milliseconds; absent like `request`. */
  readonly durationMs?: number;
}

/** Payload of `raft-membership:server:connection:open`. */
export interface ServerConnectionOpenEvent {
  /** The connection. */
  readonly socket: Socket;
  /** The peer's `host:port`. */
  readonly remote: string;
  /** What it carries from now on. */
  readonly channel: ChannelName;
  /** From accepting the TCP (or TLS) connection to sending `Accepted`, in milliseconds. */
  readonly durationMs: number;
}

/** Payload of `raft-membership:server:connection:refused`. */
export interface ServerConnectionRefusedEvent {
  /** The connection, closing. */
  readonly socket: Socket;
  /** The peer's `host:port`. */
  readonly remote: string;
  /** The reply sent, by name: `busy`, `wrong_cluster`, `auth_failed`, … */
  readonly status: string;
  /** The reason sent with it, for humans. */
  readonly reason: string;
  /** From accepting the connection to refusing it, in milliseconds. */
  readonly durationMs: number;
}

/** Payload of `raft-membership:server:connection:close`. */
export interface ServerConnectionCloseEvent {
  /** The connection, closed. */
  readonly socket: Socket;
  /** The peer's `host:port`. */
  readonly remote: string;
  /** How long the connection lived, in milliseconds. */
  readonly durationMs: number;
  /** True if it closed because of an error. */
  readonly hadError: boolean;
}

/** Payload of `raft-membership:server:protocol-error`. */
export interface ServerProtocolErrorEvent {
  /** The connection, being destroyed: its `connection:close` event follows. */
  readonly socket: Socket;
  /** The peer's `host:port`. */
  readonly remote: string;
  /** Why, for humans: the error's message. */
  readonly reason: string;
  /** The violation: a `FrameTooLargeError`, `EmptyFrameError`, `MalformedFrameError` or `InvalidMessageError`. */
  readonly error: unknown;
}

/** Payload of `raft-membership:client:connection:open`. */
export interface ClientConnectionOpenEvent {
  /** The connection. */
  readonly socket: Socket;
  /** The server dialed. */
  readonly target: ServerAddress;
  /** What it carries. */
  readonly channel: ChannelName;
  /** Dial, TLS and preamble, in milliseconds. */
  readonly durationMs: number;
}

/** Payload of `raft-membership:client:connection:refused`. */
export interface ClientConnectionRefusedEvent {
  /** The server dialed. */
  readonly target: ServerAddress;
  /** The channel asked for. */
  readonly channel: ChannelName;
  /** Why: a `HandshakeRefusedError`, an `AuthenticationError`, a system error (`ECONNREFUSED`), or the call's abort reason. */
  readonly error: unknown;
  /** From the dial to the failure, in milliseconds. */
  readonly durationMs: number;
}

/** Payload of `raft-membership:client:connection:close`. */
export interface ClientConnectionCloseEvent {
  /** The connection, closed. */
  readonly socket: Socket;
  /** The server it was to. */
  readonly target: ServerAddress;
  /** What it carried. */
  readonly channel: ChannelName;
  /** How long the connection lived after its preamble, in milliseconds. */
  readonly durationMs: number;
  /** True if it closed because of an error. */
  readonly hadError: boolean;
}

/** Payload of `raft-membership:client:redirect`. */
export interface ClientRedirectEvent {
  /** The call's request. */
  readonly request: RequestSummary;
  /** The server that answered `different_leader`. */
  readonly from: ServerAddress;
  /** The leader it named, tried next. */
  readonly leader: ServerAddress;
  /** Redirects followed so far in this attempt, this one included. */
  readonly hops: number;
}

/** Payload of `raft-membership:client:retry`. */
export interface ClientRetryEvent {
  /** The call's request. */
  readonly request: RequestSummary;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  /** Why it failed (retriable: no leader, a lost connection, a busy server, …). */
  readonly error: Error;
  /** Since the call began, in milliseconds. */
  readonly elapsedMs: number;
}

const serverRequest = channel(DiagnosticsChannel.ServerRequest);
const serverResponse = channel(DiagnosticsChannel.ServerResponse);
const serverOpen = channel(DiagnosticsChannel.ServerConnectionOpen);
const serverRefused = channel(DiagnosticsChannel.ServerConnectionRefused);
const serverClose = channel(DiagnosticsChannel.ServerConnectionClose);
const serverProtocolError = channel(DiagnosticsChannel.ServerProtocolError);
const clientOpen = channel(DiagnosticsChannel.ClientConnectionOpen);
const clientRefused = channel(DiagnosticsChannel.ClientConnectionRefused);
const clientClose = channel(DiagnosticsChannel.ClientConnectionClose);
const clientRedirect = channel(DiagnosticsChannel.ClientRedirect);
const clientRetry = channel(DiagnosticsChannel.ClientRetry);

/** When a socket was accepted (server) or opened (client); kept only while someone subscribes. */
const startedAt = new WeakMap<Socket, number>();
/** Requests received while someone subscribed, per connection, for their answer's event. */
const received = new WeakMap<Socket, Map<number, { summary: RequestSummary; at: number }>>();

const remoteOf = (socket: Socket): string => `${socket.remoteAddress}:${socket.remotePort}`;
const channelName = (channel: number): ChannelName => (channel === 1 ? 'membership' : 'raft');
const summarizeOutgoing = (request: RequestSummary): RequestSummary => (request.id === undefined ? { type: request.type } : { type: request.type, id: request.id });
const summarize = (request: RequestMessage): RequestSummary => (request.type === 'members' ? { type: 'members' } : { type: request.type, id: request.id });

/** @internal Server: a connection was accepted; times it and reports its close. */
export function serverAccepted(socket: Socket): void {
  if (!serverOpen.hasSubscribers && !serverRefused.hasSubscribers && !serverClose.hasSubscribers) return;
  const at = performance.now();
  startedAt.set(socket, at);
  if (!serverClose.hasSubscribers) return;
  const remote = remoteOf(socket);
  socket.once('close', (hadError: boolean) => {
    if (serverClose.hasSubscribers) serverClose.publish({ socket, remote, durationMs: performance.now() - at, hadError } satisfies ServerConnectionCloseEvent);
  });
}

/** @internal Server: a preamble was accepted for `channel`. */
export function serverOpened(socket: Socket, channel: number): void {
  if (!serverOpen.hasSubscribers) return;
  const durationMs = performance.now() - (startedAt.get(socket) ?? performance.now());
  serverOpen.publish({ socket, remote: remoteOf(socket), channel: channelName(channel), durationMs } satisfies ServerConnectionOpenEvent);
}

/** @internal Server: a preamble was refused with the reply `reply`. */
export function serverRefusedConnection(socket: Socket, reply: Buffer, reason: string): void {
  if (!serverRefused.hasSubscribers) return;
  const durationMs = performance.now() - (startedAt.get(socket) ?? performance.now());
  serverRefused.publish({ socket, remote: remoteOf(socket), status: replyStatusName(reply[0] ?? 0), reason, durationMs } satisfies ServerConnectionRefusedEvent);
}

/** @internal Server: a request was decoded. */
export function serverReceived(socket: Socket, request: RequestMessage): void {
  if (!serverRequest.hasSubscribers && !serverResponse.hasSubscribers) return;
  const summary = summarize(request);
  if (serverResponse.hasSubscribers) {
    let pending = received.get(socket);
    if (!pending) received.set(socket, (pending = new Map()));
    pending.set(request.rid, { summary, at: performance.now() });
  }
  if (!serverRequest.hasSubscribers) return;
  const event: ServerRequestEvent =
    request.type === 'join'
      ? { ...summary, socket, remote: remoteOf(socket), rid: request.rid, address: request.address, role: request.role }
      : { ...summary, socket, remote: remoteOf(socket), rid: request.rid };
  serverRequest.publish(event);
}

/** @internal Server: `response` is about to be written; returns it unchanged. */
export function serverAnswered<R extends ResponseMessage>(socket: Socket, response: R): R {
  if (!serverResponse.hasSubscribers) {
    received.get(socket)?.delete(response.rid);
    return response;
  }
  const pending = received.get(socket);
  const start = pending?.get(response.rid);
  pending?.delete(response.rid);
  const event: ServerResponseEvent = {
    socket,
    remote: remoteOf(socket),
    rid: response.rid,
    ok: response.ok,
    ...(start ? { request: start.summary, durationMs: performance.now() - start.at } : {}),
    ...(response.ok ? (response.index === undefined ? {} : { index: response.index }) : { code: response.code }),
  };
  serverResponse.publish(event);
  return response;
}

/**
 * @internal Server: a `bad_request` answer to a request that was not
 * accepted is about to be written; returns it unchanged. Unlike
 * {@link serverAnswered} it leaves alone the request in flight under the
 * same rid, whose own answer comes later.
 */
export function serverRefusedRequest<R extends ResponseMessage>(socket: Socket, response: R): R {
  if (serverResponse.hasSubscribers) {
    serverResponse.publish({ socket, remote: remoteOf(socket), rid: response.rid, ok: response.ok, ...(response.ok ? {} : { code: response.code }) } satisfies ServerResponseEvent);
  }
  return response;
}

/** @internal Server: the connection is being dropped for the protocol violation `error`. */
export function serverDroppedForProtocolError(socket: Socket, reason: string, error: unknown): void {
  if (serverProtocolError.hasSubscribers) serverProtocolError.publish({ socket, remote: remoteOf(socket), reason, error } satisfies ServerProtocolErrorEvent);
}

/** @internal Client: a dial begins; returns its start time, or NaN if nobody listens. */
export function clientDialing(): number {
  return clientOpen.hasSubscribers || clientRefused.hasSubscribers || clientClose.hasSubscribers ? performance.now() : Number.NaN;
}

/** @internal Client: the dial that began at `at` completed its preamble. */
export function clientOpened(socket: Socket, target: ServerAddress, channel: number, at: number): void {
  if (Number.isNaN(at)) return;
  const opened = performance.now();
  const name = channelName(channel);
  if (clientOpen.hasSubscribers) clientOpen.publish({ socket, target, channel: name, durationMs: opened - at } satisfies ClientConnectionOpenEvent);
  if (!clientClose.hasSubscribers) return;
  socket.once('close', (hadError: boolean) => {
    if (clientClose.hasSubscribers) {
      clientClose.publish({ socket, target, channel: name, durationMs: performance.now() - opened, hadError } satisfies ClientConnectionCloseEvent);
    }
  });
}

/** @internal Client: the dial that began at `at` failed with `error`. */
export function clientRefusedConnection(target: ServerAddress, channel: number, error: unknown, at: number): void {
  if (Number.isNaN(at) || !clientRefused.hasSubscribers) return;
  clientRefused.publish({ target, channel: channelName(channel), error, durationMs: performance.now() - at } satisfies ClientConnectionRefusedEvent);
}

/** @internal Client: a `different_leader` answer is being followed. */
export function clientRedirected(request: RequestSummary, from: ServerAddress, leader: ServerAddress, hops: number): void {
  if (clientRedirect.hasSubscribers) clientRedirect.publish({ request: summarizeOutgoing(request), from, leader, hops } satisfies ClientRedirectEvent);
}

/** @internal Client: attempt `attempt` failed with a retriable `error`; the call began at `began`. */
export function clientRetrying(request: RequestSummary, attempt: number, error: Error, began: number): void {
  if (clientRetry.hasSubscribers) clientRetry.publish({ request: summarizeOutgoing(request), attempt, error, elapsedMs: performance.now() - began } satisfies ClientRetryEvent);
}
