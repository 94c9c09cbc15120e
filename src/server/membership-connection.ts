import type { Socket } from 'node:net';
import { ChangeRequest, newJoinRequest, newLeaveRequest } from '../membership/change-request.js';
import { ShuttingDownError } from '../membership/errors.js';
import { serverAnswered, serverDroppedForProtocolError, serverReceived, serverRefusedRequest } from '../diagnostics.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { InvalidMessageError, ProtocolError } from '../protocol/errors.js';
import { WireErrorCode, decodeRequest, encodeResponse, type RequestMessage } from '../protocol/messages.js';
import { toWireError } from '../protocol/wire-errors.js';
import type { MembersAnswer } from './members-answers.js';
import type { ResolvedServerOptions } from './server-options.js';

/** What a connection needs of its server. */
export interface ConnectionHost {
  readonly options: ResolvedServerOptions;
  /** Hands a request to the server's consumer and starts its deadline. */
  submit(request: ChangeRequest): void;
  /** The request was answered or abandoned: stop its deadline. */
  settle(request: ChangeRequest): void;
  /** Answers a `members` request for the page at `offset`: the frame to send; never rejects, never hangs. */
  members(rid: number, offset: number): Promise<MembersAnswer>;
  /** True once the server is closing: new requests get `shutting_down`. */
  readonly closing: boolean;
}

/**
 * One accepted membership connection: reads frames, turns each request into
 * a {@link ChangeRequest}, and writes its response when it is done, in
 * whatever order they finish. Reading pauses while too many requests are in
 * flight or while the peer does not read its responses.
 */
export class MembershipConnection {
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #decoder: FrameDecoder;
  /** Requests in flight by rid; `null` for a `members` request, which the server answers itself. */
  readonly #inFlight = new Map<number, ChangeRequest | null>();
  /**
   * Frames that arrived in the same chunk after the in-flight limit was
   * reached: at most one socket read's worth, handled as answers free room.
   */
  readonly #backlog: Buffer[] = [];
  #corked = false;
  #writeBlocked = false;
  #paused = false;

  constructor(socket: Socket, host: ConnectionHost, rest: Buffer) {
    this.#socket = socket;
    this.#host = host;
    this.#decoder = new FrameDecoder({ maxFrameSize: host.options.maxFrameSize });
    socket.setTimeout(host.options.idleTimeoutMs);
    socket.on('timeout', () => {
      if (this.#inFlight.size === 0) this.#drop('idle timeout');
    });
    socket.on('drain', () => {
      this.#writeBlocked = false;
      this.#updateReading();
    });
    socket.on('close', () => this.#abandon());
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    // Not now: removing the preamble's 'readable' listener made node schedule
    // a resume() for the next tick, which would undo a pause that these
    // bytes cause (more than maxInFlight requests sent with the hello), and
    // the backlog would then grow without bound. Queued after that resume,
    // the pause sticks; no socket data can arrive before it.
    if (rest.length > 0) {
      process.nextTick(() => {
        if (!socket.destroyed) this.#receive(rest);
      });
    }
  }

  /** Requests received on this connection and not yet answered. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Stops reading and ends the connection once written responses are flushed. */
  end(): void {
    this.#socket.pause();
    this.#socket.end();
  }

  #receive(chunk: Buffer): void {
    try {
      this.#decoder.push(chunk, (payload) => this.#onPayload(payload));
    } catch (err) {
      this.#drop((err as Error).message, err);
    }
  }

  #onPayload(payload: Buffer): void {
    if (this.#backlog.length > 0 || this.#inFlight.size >= this.#host.options.maxInFlight) {
      this.#backlog.push(payload);
      return;
    }
    this.#handle(payload);
  }

  #handle(payload: Buffer): void {
    let message: RequestMessage;
    try {
      message = decodeRequest(payload);
    } catch (err) {
      if (err instanceof InvalidMessageError && err.requestId !== undefined) {
        this.#write(encodeResponse(serverRefusedRequest(this.#socket, { rid: err.requestId, ok: false, code: WireErrorCode.BadRequest, message: err.message })));
        return;
      }
      throw err;
    }
    const { rid } = message;
    if (this.#inFlight.has(rid)) {
      this.#write(encodeResponse(serverRefusedRequest(this.#socket, { rid, ok: false, code: WireErrorCode.BadRequest, message: `request id ${rid} is already in flight` })));
      return;
    }
    serverReceived(this.#socket, message);
    if (this.#host.closing) {
      this.#write(encodeResponse(serverAnswered(this.#socket, { rid, ok: false, code: WireErrorCode.ShuttingDown, message: 'server is shutting down' })));
      return;
    }
    if (message.type === 'members') return this.#query(rid, message.offset ?? 0);
    const request =
      message.type === 'join' ? newJoinRequest(message.id, message.address, { role: message.role }) : newLeaveRequest(message.id);
    this.#inFlight.set(rid, request);
    ChangeRequest.onDone(request, () => this.#answer(rid, request));
    this.#host.submit(request);
    this.#updateReading();
  }

  #answer(rid: number, request: ChangeRequest): void {
    if (this.#inFlight.get(rid) !== request) return;
    this.#inFlight.delete(rid);
    this.#host.settle(request);
    if (this.#socket.destroyed) return;
    this.#drainBacklog();
    const err = ChangeRequest.outcome(request);
    const index = request.index;
    const wireError = err ? toWireError(err) : undefined;
    if (err && wireError?.code === WireErrorCode.Internal) {
      this.#host.options.logger.error?.('request failed', { id: request.id, error: err.message });
    }
    this.#write(
      encodeResponse(
        serverAnswered(this.#socket, wireError
          ? { rid, ok: false, ...wireError }
          : index === undefined
            ? { rid, ok: true }
            : { rid, ok: true, index }),
      ),
    );
    this.#updateReading();
  }

  /** A `members` request: answered by the server rather than raft's queue, but in flight like a change. */
  #query(rid: number, offset: number): void {
    this.#inFlight.set(rid, null);
    this.#updateReading();
    void this.#host.members(rid, offset).then((answer) => {
      if (this.#inFlight.get(rid) !== null) return;
      this.#inFlight.delete(rid);
      if (this.#socket.destroyed) return;
      this.#drainBacklog();
      serverAnswered(this.#socket, answer.response);
      this.#write(answer.frame);
      this.#updateReading();
    });
  }

  #drainBacklog(): void {
    while (this.#backlog.length > 0 && this.#inFlight.size < this.#host.options.maxInFlight) {
      try {
        this.#handle(this.#backlog.shift()!);
      } catch (err) {
        this.#drop((err as Error).message, err);
        return;
      }
    }
  }

  #write(frame: Buffer): void {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    // Responses finishing in the same tick leave in one write.
    if (!this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(this.#uncork);
    }
    if (!socket.write(frame)) {
      this.#writeBlocked = true;
      this.#updateReading();
    }
  }

  /** Made once: a closure per tick would be garbage per tick. */
  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  #updateReading(): void {
    const shouldPause = this.#writeBlocked || this.#backlog.length > 0 || this.#inFlight.size >= this.#host.options.maxInFlight;
    if (shouldPause === this.#paused) return;
    this.#paused = shouldPause;
    if (shouldPause) this.#socket.pause();
    else this.#socket.resume();
  }

  #drop(reason: string, err?: unknown): void {
    const level = err instanceof ProtocolError ? 'warn' : 'debug';
    if (level === 'warn') serverDroppedForProtocolError(this.#socket, reason, err);
    this.#host.options.logger[level]?.('closing membership connection', {
      reason,
      remote: `${this.#socket.remoteAddress}:${this.#socket.remotePort}`,
    });
    this.#socket.destroy();
  }

  /** The peer is gone: requests still pending are abandoned, so raft skips those not begun. */
  #abandon(): void {
    for (const request of this.#inFlight.values()) {
      if (request === null) continue;
      this.#host.settle(request);
      if (!request.isDone) request.done(new ShuttingDownError('client connection closed'));
    }
    this.#inFlight.clear();
  }
}
