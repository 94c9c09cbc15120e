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
  readonly timer: NodeJS.Timeout;
}

/**
 * The client end of one peer's stream, dialed on first use and again after
 * any failure. Requests may be pipelined: responses come back in order.
 * A timed-out or broken stream is destroyed, never reused.
 */
export class RpcClient {
  readonly #layer: StreamLayer;
  readonly #dialTimeoutMs: number;
  #stream: Duplex | undefined;
  #dialing: Promise<Duplex> | undefined;
  #pending: Pending[] = [];
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
      const timer = setTimeout(() => this.#fail(stream, new RpcFailedError(`${request.type} to ${this.address} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.#pending.push({ expect: responseTypeOf(request.type), resolve, reject, timer });
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
    pending.resolve(response);
  }

  #fail(stream: Duplex, error: Error): void {
    stream.destroy();
    if (stream !== this.#stream) return;
    this.#stream = undefined;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(error);
    }
  }
}
