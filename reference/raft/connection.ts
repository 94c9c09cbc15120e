/**
 * Reference raft engine (not part of the published API): the dialing end of
 * RPC over one stream, framed with the library's own codec. The dialer sends
 * requests; the acceptor answers each, in order, on the same stream
 * (./inbound.ts).
 */
import type { Duplex } from 'node:stream';
import { MembershipError } from '../../src/membership/errors.js';
import { FrameDecoder } from '../../src/protocol/frame-decoder.js';
import { decodePayload } from '../../src/protocol/msgpack.js';
import { MAX_RESPONSE_FRAME_SIZE } from './limits.js';
import { parseResponse, responseTypeOf, type ResponseTo, type RpcRequest, type RpcResponse } from './messages.js';
import { encodeRpcRequest } from './rpc-encoding.js';
import type { StreamLayer } from './stream-layer.js';

/** An RPC to a peer failed: dial error, timeout, closed or broken stream. Internal: callers retry. */
export class RpcFailedError extends MembershipError {
  readonly code = 'ERR_RAFT_RPC_FAILED';
}

interface Pending {
  readonly expect: RpcResponse['type'];
  readonly resolve: (response: RpcResponse) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Its caller was told it timed out: its response, when it comes, is read and dropped. */
  abandoned: boolean;
}

/**
 * Requests in a row that may time out on one stream before it counts as
 * dead and is destroyed. A peer that answers late is alive, only busy (a
 * stalled event loop, a flood of other work): one late answer must not
 * cost a new connection through its front door and the answers in flight.
 */
const TIMEOUTS_BEFORE_DEAD = 3;

/**
 * The client end of one peer's stream, dialed on first use and again after
 * any failure. Requests may be pipelined: responses come back in order.
 * A request that times out fails for its caller, but the stream is kept
 * (its late response is dropped) unless {@link TIMEOUTS_BEFORE_DEAD}
 * requests in a row time out; a broken stream is destroyed, never reused.
 */
export class RpcClient {
  readonly #layer: StreamLayer;
  readonly #dialTimeoutMs: number;
  #stream: Duplex | undefined;
  #dialing: Promise<Duplex> | undefined;
  #pending: Pending[] = [];
  /** Requests timed out on the current stream since it last answered. */
  #timeouts = 0;
  #closed = false;

  constructor(
    readonly address: string,
    layer: StreamLayer,
    dialTimeoutMs: number,
  ) {
    this.#layer = layer;
    this.#dialTimeoutMs = dialTimeoutMs;
  }

  /** Sends `request` and resolves to its checked response, or rejects with {@link RpcFailedError}. */
  async request<T extends RpcRequest>(request: T, timeoutMs: number): Promise<ResponseTo<T>> {
    const stream = await this.#connect();
    return new Promise<RpcResponse>((resolve, reject) => {
      const pending: Pending = { expect: responseTypeOf(request.type), resolve, reject, timer: undefined, abandoned: false };
      // After a stall, timers run before the event loop reads sockets: the
      // answer may be waiting unread. setImmediate lets it be read first.
      pending.timer = setTimeout(() => setImmediate(() => this.#timedOut(stream, pending, request.type, timeoutMs)), timeoutMs);
      this.#pending.push(pending);
      stream.write(encodeRpcRequest(request));
    }) as Promise<ResponseTo<T>>;
  }

  /** Destroys the stream and fails what is in flight; later requests reject. */
  close(): void {
    this.#closed = true;
    if (this.#stream) this.#fail(this.#stream, new RpcFailedError('connection closed'));
  }

  async #connect(): Promise<Duplex> {
    if (this.#closed) throw new RpcFailedError('connection closed');
    if (this.#stream) return this.#stream;
    this.#dialing ??= this.#dial();
    return this.#dialing;
  }

  async #dial(): Promise<Duplex> {
    let stream: Duplex;
    try {
      stream = await this.#layer.dial(this.address, this.#dialTimeoutMs);
    } catch (cause) {
      throw new RpcFailedError(`dial ${this.address} failed: ${(cause as Error).message}`, { cause });
    } finally {
      this.#dialing = undefined;
    }
    if (this.#closed) {
      stream.destroy();
      throw new RpcFailedError('connection closed');
    }
    this.#stream = stream;
    const decoder = new FrameDecoder({ maxFrameSize: MAX_RESPONSE_FRAME_SIZE });
    stream.on('data', (chunk: Buffer) => {
      try {
        decoder.push(chunk, (payload) => this.#deliver(stream, parseResponse(decodePayload(payload))));
      } catch (error) {
        this.#fail(stream, new RpcFailedError(`bad response from ${this.address}: ${(error as Error).message}`, { cause: error }));
      }
    });
    stream.on('error', (error) => this.#fail(stream, new RpcFailedError(`stream to ${this.address}: ${error.message}`, { cause: error })));
    stream.on('close', () => this.#fail(stream, new RpcFailedError(`stream to ${this.address} closed`)));
    return stream;
  }

  #deliver(stream: Duplex, response: RpcResponse): void {
    if (stream !== this.#stream) return;
    const pending = this.#pending.shift();
    if (!pending || pending.expect !== response.type) {
      throw new RpcFailedError(`unexpected ${response.type} from ${this.address}`);
    }
    clearTimeout(pending.timer);
    this.#timeouts = 0;
    if (!pending.abandoned) pending.resolve(response);
  }

  /** `pending` had no answer in time: its caller learns it; the stream goes on unless it looks dead. */
  #timedOut(stream: Duplex, pending: Pending, type: string, timeoutMs: number): void {
    if (stream !== this.#stream || pending.abandoned || !this.#pending.includes(pending)) return;
    const error = new RpcFailedError(`${type} to ${this.address} timed out after ${timeoutMs} ms`);
    this.#timeouts += 1;
    if (this.#timeouts >= TIMEOUTS_BEFORE_DEAD) return this.#fail(stream, error);
    pending.abandoned = true;
    pending.reject(error);
  }

  #fail(stream: Duplex, error: Error): void {
    stream.destroy();
    if (stream !== this.#stream) return;
    this.#stream = undefined;
    this.#timeouts = 0;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      if (!p.abandoned) p.reject(error);
    }
  }
}
