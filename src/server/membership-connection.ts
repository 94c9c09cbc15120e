import type { Socket } from 'node:net';
import { ChangeRequest } from '../membership/change-request.js';
import { ChangeRequestKind } from '../membership/change-request-kind.js';
import { ShuttingDownError } from '../membership/errors.js';
import { serverAnswered, serverDroppedForProtocolError, serverReceived, serverRefusedRequest } from '../diagnostics.js';
import { FrameDecoder } from '../protocol/frame-decoder.js';
import { InvalidMessageError, ProtocolError } from '../protocol/errors.js';
import { WireErrorCode, decodeRequest, encodeResponse, encodeSuccess, type RequestMessage } from '../protocol/messages.js';
import { toWireError } from '../protocol/wire-errors.js';
import type { MembersAnswer } from './members-answers.js';
import { RidTable } from './rid-table.js';
import { AnswerWriter } from './answer-writer.js';
import { ClientRequest } from './client-request.js';
import type { ConnectionDeadlines, Expirable } from './connection-deadlines.js';
import type { FairScheduler, FrameWorker } from './fair-scheduler.js';
import type { PeerRates } from './peer-rates.js';
import type { ResolvedServerOptions } from './server-options.js';

/** Put where a handled frame was, so that the backlog does not keep it alive. */
const EMPTY = Buffer.alloc(0);

/** What a connection needs of its server. */
export interface ConnectionHost {
  readonly options: ResolvedServerOptions;
  /** Hands a request from `peer` to the server's consumer and starts its deadline at `now` (`performance.now()`). */
  submit(request: ClientRequest, peer: string, now: number): void;
  /** The request was answered or abandoned: stop its deadline. */
  settle(request: ClientRequest): void;
  /** Answers a `members` request for the page at `offset`: the frame to send; never rejects, never hangs. */
  members(rid: number, offset: number): Promise<MembersAnswer>;
  /** True once the server is closing: new requests get `shutting_down`. */
  readonly closing: boolean;
  /** Shares frame handling among the server's connections, a bounded amount per event-loop turn. */
  readonly scheduler: FairScheduler;
  /** The idle, frame and write deadlines of the server's connections. */
  readonly deadlines: ConnectionDeadlines<MembershipConnection>;
  /** Each peer's request rate, over all its connections. */
  readonly rates: PeerRates;
}

/**
 * One accepted membership connection: reads frames, turns each request into
 * a {@link ChangeRequest}, and writes its response when it is done, in
 * whatever order they finish. Reading pauses while too many requests are in
 * flight, while frames wait for their turn (the server's
 * {@link FairScheduler}), or while the peer does not read its responses;
 * in that last case no waiting frame is handled either, and the connection
 * is closed if the peer does not catch up in time (`writeTimeoutMs`,
 * `maxPendingOutput`). What it holds is thus bounded: one socket read of
 * frames, one partial frame, `maxInFlight` requests and their answers.
 */
export class MembershipConnection implements FrameWorker, Expirable {
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  /** Who the peer is (its address, by `peerOf`), for the server's per-peer fairness. */
  readonly #peer: string;
  readonly #decoder: FrameDecoder;
  /** Requests in flight by rid; `null` for a `members` request, which the server answers itself. */
  readonly #inFlight = new RidTable<ClientRequest | null>();
  /**
   * Frames read and not handled yet (in-flight limit reached, answers not
   * read, or this turn's share used): at most one socket read's worth, as
   * reading pauses while any wait. `#backlogHead` is the next to handle.
   */
  #backlog: Buffer[] = [];
  #backlogHead = 0;
  /** Frames this connection may still handle where they arrive, in this read. */
  #inlineQuota = 0;
  /** Frames completed by this read: a partial frame after one is a new frame. */
  #framesRead = 0;
  readonly #writer: AnswerWriter;
  #paused = false;
  /** The clock, read once per socket read and per scheduler turn: the deadline of every request handled then starts there. */
  #now = 0;
  /** Set while this peer is past its request rate: nothing is handled or read until it fires. */
  #rateTimer: NodeJS.Timeout | undefined;

  constructor(socket: Socket, host: ConnectionHost, rest: Buffer, peer: string) {
    this.#socket = socket;
    this.#host = host;
    this.#peer = peer;
    this.#decoder = new FrameDecoder({ maxFrameSize: host.options.maxFrameSize });
    host.deadlines.idle(this);
    this.#writer = new AnswerWriter(socket, host.options.maxPendingOutput, {
      // Nothing more is done for this peer until it reads (see #canWork),
      // and it has writeTimeoutMs to do so.
      blocked: () => {
        host.deadlines.writeBlocked(this);
        this.#updateReading();
      },
      drained: () => {
        host.deadlines.writeDrained(this);
        this.#resumeWork();
      },
      overflowed: (pending) => this.#drop(`${pending} bytes of answers unread, more than maxPendingOutput (slow consumer)`, undefined, 'warn'),
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
    // Answers gathered for the end of this tick go first: end() refuses a later write.
    this.#writer.flush();
    this.#socket.end();
  }

  /** @internal A deadline of {@link ConnectionDeadlines} passed. */
  expire(reason: string, level: 'debug' | 'warn'): void {
    this.#drop(reason, undefined, level);
  }

  /**
   * @internal The scheduler's turn: handles at most `quota` waiting frames
   * while there is room, and queues again if some are left.
   */
  work(quota: number): number {
    let handled = 0;
    this.#now = performance.now();
    while (handled < quota && this.#backlogHead < this.#backlog.length && this.#canWork() && this.#takeToken()) {
      const payload = this.#backlog[this.#backlogHead]!;
      this.#backlog[this.#backlogHead++] = EMPTY;
      handled += 1;
      try {
        this.#handle(payload);
      } catch (err) {
        this.#drop((err as Error).message, err);
        return handled;
      }
    }
    if (this.#backlogHead === this.#backlog.length) {
      this.#backlog = [];
      this.#backlogHead = 0;
    }
    this.#resumeWork();
    return handled;
  }

  #receive(chunk: Buffer): void {
    this.#now = performance.now();
    this.#inlineQuota = this.#host.scheduler.quantum;
    this.#framesRead = 0;
    try {
      this.#decoder.push(chunk, this.#onPayload);
    } catch (err) {
      this.#drop((err as Error).message, err);
      return;
    }
    this.#timeFrame();
    this.#resumeWork();
  }

  /** Made once: a closure per read would be garbage per read. */
  readonly #onPayload = (payload: Buffer): void => {
    this.#framesRead += 1;
    // Handled where it arrived only if nothing waits before it and this
    // connection and the server have budget left in this turn.
    if (this.#backlogHead === this.#backlog.length && this.#inlineQuota > 0 && this.#canWork() && this.#host.scheduler.takeInline() && this.#takeToken()) {
      this.#inlineQuota -= 1;
      this.#handle(payload);
      return;
    }
    this.#backlog.push(payload);
  };

  /** The frame deadline runs while a frame is begun, not whole, and this server is reading. */
  #timeFrame(): void {
    const deadlines = this.#host.deadlines;
    if (!this.#decoder.inFrame || this.#paused) deadlines.frameEnded(this);
    else if (this.#framesRead > 0 || !deadlines.inFrame(this)) deadlines.frameStarted(this);
  }

  /** Room for more work: anything waiting goes to the scheduler, and reading resumes once nothing waits. */
  #resumeWork(): void {
    if (this.#backlogHead < this.#backlog.length && this.#canWork()) this.#host.scheduler.schedule(this);
    this.#updateReading();
  }

  /** Whether a frame may be handled now: room in flight, answers being read, the peer within its rate, connection open. */
  #canWork(): boolean {
    return !this.#writer.blocked && this.#inFlight.size < this.#host.options.maxInFlight && this.#rateTimer === undefined && !this.#socket.destroyed;
  }

  /**
   * Takes the peer's token for one request; without one, the frame waits
   * (reading pauses, as for any frame waiting) until the token is due.
   */
  #takeToken(): boolean {
    const waitMs = this.#host.rates.take(this.#peer);
    if (waitMs === 0) return true;
    this.#rateTimer = setTimeout(this.#rateDue, waitMs);
    return false;
  }

  /** Made once: a closure per wait would be garbage per wait. */
  readonly #rateDue = (): void => {
    this.#rateTimer = undefined;
    if (!this.#socket.destroyed) this.#resumeWork();
  };

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
    // decodeRequest checked the id, address and role as newJoinRequest would:
    // built directly, each request is not checked (and its options parsed) twice.
    const request =
      message.type === 'join'
        ? new ClientRequest(rid, message.id, message.address, ChangeRequestKind.Join, message.role, this.#answer)
        : new ClientRequest(rid, message.id, '', ChangeRequestKind.Leave, undefined, this.#answer);
    this.#inFlight.set(rid, request);
    this.#host.deadlines.busy(this);
    this.#host.submit(request, this.#peer, this.#now);
  }

  /** A request is done: its answer goes out. Made once: a closure per request would be garbage per request. */
  readonly #answer = (request: ClientRequest): void => {
    const rid = request.rid;
    if (this.#inFlight.get(rid) !== request) return;
    this.#inFlight.delete(rid);
    this.#host.settle(request);
    if (this.#socket.destroyed) return;
    const err = ChangeRequest.outcome(request);
    if (err === null) {
      const index = request.index;
      serverAnswered(this.#socket, index === undefined ? { rid, ok: true } : { rid, ok: true, index });
      this.#write(encodeSuccess(rid, index));
    } else {
      const wireError = toWireError(err);
      if (wireError.code === WireErrorCode.Internal) this.#host.options.logger.error?.('request failed', { id: request.id, error: err.message });
      this.#write(encodeResponse(serverAnswered(this.#socket, { rid, ok: false, ...wireError })));
    }
    this.#resumeWork();
  };

  /** A `members` request: answered by the server rather than raft's queue, but in flight like a change. */
  #query(rid: number, offset: number): void {
    this.#inFlight.set(rid, null);
    this.#host.deadlines.busy(this);
    void this.#host.members(rid, offset).then((answer) => {
      if (this.#inFlight.get(rid) !== null) return;
      this.#inFlight.delete(rid);
      if (this.#socket.destroyed) return;
      serverAnswered(this.#socket, answer.response);
      // One answer in several parts: one step of progress.
      this.#progress();
      for (const part of answer.parts) this.#writer.write(part);
      this.#resumeWork();
    });
  }

  /** Writes an answer: progress, as far as the idle deadline is concerned. */
  #write(frame: Buffer): void {
    this.#progress();
    this.#writer.write(frame);
  }

  /** An answer is being written: with nothing else in flight, the idle clock starts again. */
  #progress(): void {
    if (this.#inFlight.size === 0) this.#host.deadlines.idle(this);
  }

  #updateReading(): void {
    const shouldPause = this.#writer.blocked || this.#backlogHead < this.#backlog.length || this.#inFlight.size >= this.#host.options.maxInFlight;
    if (shouldPause === this.#paused) return;
    this.#paused = shouldPause;
    if (shouldPause) this.#socket.pause();
    else this.#socket.resume();
    this.#timeFrame();
  }

  #drop(reason: string, err?: unknown, level: 'debug' | 'warn' = err instanceof ProtocolError ? 'warn' : 'debug'): void {
    if (this.#socket.destroyed) return;
    if (err instanceof ProtocolError) serverDroppedForProtocolError(this.#socket, reason, err);
    this.#host.options.logger[level]?.('closing membership connection', {
      reason,
      remote: `${this.#socket.remoteAddress}:${this.#socket.remotePort}`,
    });
    this.#socket.destroy();
  }

  /** The peer is gone: requests still pending are abandoned, so raft skips those not begun. */
  #abandon(): void {
    clearTimeout(this.#rateTimer);
    this.#rateTimer = undefined;
    this.#host.scheduler.cancel(this);
    this.#host.deadlines.forget(this);
    this.#backlog = [];
    this.#backlogHead = 0;
    for (const request of this.#inFlight.values()) {
      if (request === null) continue;
      this.#host.settle(request);
      if (!request.isDone) request.done(new ShuttingDownError('client connection closed'));
    }
    this.#inFlight.clear();
  }
}
