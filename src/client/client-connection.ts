import type { Socket } from 'node:net';
import type { ServerAddress } from '../membership/types.js';
import { ConnectionClosedError } from '../protocol/errors.js';
import type { CallSignal, Cancellable } from './call-deadline.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { InFlight } from './in-flight.js';
import { TickWriter } from './tick-writer.js';
import { MembersAnswerReader } from '../protocol/members-answer-reader.js';
import { decodeResponse, encodeRequest, type JoinMessage, type LeaveMessage, type MembersMessage, type RequestMessage, type ResponseMessage } from '../protocol/messages.js';

/** A request as the caller gives it; the connection picks its `rid`. */
export type OutgoingRequest = Omit<JoinMessage, 'rid'> | Omit<LeaveMessage, 'rid'> | Omit<MembersMessage, 'rid'>;

/**
 * Told the outcome of one request: its response, or why none will come
 * (the connection ended, or the call gave up). Exactly one of the two is
 * called, once, and never before {@link ClientConnection.send} returns.
 */
export interface ResponseHandler {
  onResponse(response: ResponseMessage): void;
  onFailure(err: unknown): void;
}

/**
 * A request waiting for its response: also what its call's signal cancels,
 * so a request allocates one object here and no closures.
 */
class Pending implements Cancellable {
  constructor(
    readonly rid: number,
    /** What the request asks, which says how its response is read. */
    readonly type: RequestMessage['type'],
    readonly call: CallSignal,
    readonly connection: ClientConnection,
    readonly handler: ResponseHandler,
  ) {}

  /** The call gave up: the response, if it comes, is ignored. */
  cancel(reason: unknown): void {
    this.connection.abandon(this.rid);
    this.handler.onFailure(reason);
  }

  resolve(response: ResponseMessage): void {
    this.call.unwatch(this);
    this.handler.onResponse(response);
  }

  reject(err: Error): void {
    this.call.unwatch(this);
    this.handler.onFailure(err);
  }
}

/** A promise's two ends as a {@link ResponseHandler}. */
class Settle implements ResponseHandler {
  constructor(
    readonly onResponse: (response: ResponseMessage) => void,
    readonly onFailure: (err: unknown) => void,
  ) {}
}

/**
 * One membership connection to a server, with requests pipelined on it and
 * matched to their responses by id. It never keeps the process alive; a
 * caller's own deadline does that while it waits.
 */
export class ClientConnection {
  readonly target: ServerAddress;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #writer: TickWriter;
  readonly #pending = new InFlight<Pending>();
  /** `members` requests among them: their answers are read by {@link MembersAnswerReader} first. */
  #membersPending = 0;
  readonly #members = new MembersAnswerReader();
  readonly #onClose: (connection: ClientConnection) => void;
  #closed: Error | undefined;
  /** A caller gave up waiting on this connection: it takes no new requests. */
  #retired = false;

  constructor(target: ServerAddress, socket: Socket, options: { maxFrameSize: number; idleTimeoutMs: number }, onClose: (connection: ClientConnection) => void) {
    this.target = target;
    this.#socket = socket;
    this.#onClose = onClose;
    this.#decoder = new FrameDecoder({ maxFrameSize: options.maxFrameSize });
    this.#writer = new TickWriter(socket);
    socket.unref();
    socket.setTimeout(options.idleTimeoutMs, () => {
      if (this.#pending.size === 0) this.close(new ConnectionClosedError(`idle connection to ${target} closed`));
    });
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('error', (err) => this.close(new ConnectionClosedError(`connection to ${target} failed: ${err.message}`, { cause: err })));
    socket.on('close', () => this.close(new ConnectionClosedError(`${target} closed the connection`)));
  }

  /** Requests sent and not yet answered. */
  get pending(): number {
    return this.#pending.size;
  }

  /** False once the connection failed, was closed, or a call gave up waiting on it. */
  get usable(): boolean {
    return this.#closed === undefined && !this.#retired;
  }

  /**
   * Sends a request and resolves to its response. Rejects with
   * {@link ConnectionClosedError} if the connection ends first, or with
   * the call's reason when it gives up (the response, if it comes, is then
   * ignored).
   */
  request(request: OutgoingRequest, call: CallSignal): Promise<ResponseMessage> {
    return new Promise<ResponseMessage>((resolve, reject) => this.send(request, call, new Settle(resolve, reject)));
  }

  /**
   * Sends a request; `handler` learns its outcome as {@link request}'s
   * promise would, without a promise: the call path of a request that
   * needs nothing else (no dial, no redirect) makes none of its own.
   */
  send(request: OutgoingRequest, call: CallSignal, handler: ResponseHandler): void {
    if (this.#closed || call.aborted) {
      const reason = this.#closed ?? call.reason;
      // Never from inside send(): the caller may not be ready for it yet.
      queueMicrotask(() => handler.onFailure(reason));
      return;
    }
    const rid = this.#pending.nextRid();
    const pending = new Pending(rid, request.type, call, this, handler);
    this.#pending.add(pending);
    if (request.type === 'members') this.#membersPending++;
    call.watch(pending);
    const message: RequestMessage =
      request.type === 'join'
        ? { type: 'join', rid, id: request.id, address: request.address, role: request.role }
        : request.type === 'leave'
          ? { type: 'leave', rid, id: request.id }
          : request.offset
            ? { type: 'members', rid, offset: request.offset }
            : { type: 'members', rid };
    // Requests made in the same tick leave in one write.
    this.#writer.write(encodeRequest(message));
  }

  /** Closes the connection, failing every pending request with `reason`. */
  close(reason: Error = new ConnectionClosedError(`connection to ${this.target} closed`)): void {
    if (this.#closed) return;
    this.#closed = reason;
    this.#socket.destroy();
    const pending = this.#pending.clear();
    this.#membersPending = 0;
    for (const entry of pending) entry.reject(reason);
    this.#onClose(this);
  }

  /**
   * @internal A call gave up on request `rid`. The connection may be dead
   * without knowing it (half-open, black-holed), so, like a timed-out
   * socket in undici, it is never handed out again: requests already on it
   * finish, and it closes when the last one settles.
   */
  abandon(rid: number): void {
    this.#take(rid);
    this.#retired = true;
    if (this.#pending.size === 0) this.close(new ConnectionClosedError(`connection to ${this.target} retired after a call gave up on it`));
  }

  /** Made once: the type of the request in flight with a rid, for decodeResponse. */
  readonly #answering = (rid: number): RequestMessage['type'] | undefined => this.#pending.get(rid)?.type;

  /** The request in flight with `rid`, no longer in flight; `undefined` if there is none. */
  #take(rid: number): Pending | undefined {
    const entry = this.#pending.delete(rid);
    if (entry?.type === 'members') this.#membersPending--;
    return entry;
  }

  /** A response, validated: a `members` answer read straight into its servers when it can be. */
  #read(payload: Buffer): ResponseMessage {
    if (this.#membersPending > 0) {
      const answer = this.#members.read(payload);
      if (answer !== undefined && this.#answering(answer.rid) === 'members') return answer;
    }
    return decodeResponse(payload, this.#answering);
  }

  #receive(chunk: Buffer): void {
    try {
      this.#decoder.push(chunk, (payload) => {
        const response = this.#read(payload);
        const entry = this.#take(response.rid);
        // A response to an abandoned (aborted) request is dropped.
        if (!entry) return;
        entry.resolve(response);
        if (this.#retired && this.#pending.size === 0) this.close();
      });
    } catch (err) {
      this.close(new ConnectionClosedError(`bad response from ${this.target}: ${(err as Error).message}`, { cause: err }));
    }
  }
}
