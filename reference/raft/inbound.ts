/**
 * Reference raft engine (not part of the published API): the accepting end
 * of RPC streams. Each request is answered, in order, on its stream; what a
 * peer can make the node hold for one stream is bounded.
 */
import type { Duplex } from 'node:stream';
import { MembershipError } from '../../src/membership/errors.js';
import { FrameDecoder } from '../../src/protocol/frame-decoder.js';
import { FRAME_HEADER_BYTES, decodePayload, encodeFrame } from '../../src/protocol/msgpack.js';
import { MAX_RPC_FRAME_SIZE } from './limits.js';
import { parseRequest, type RpcRequest, type RpcResponse } from './messages.js';
import type { StreamLayer } from './stream-layer.js';

/** A peer took longer than `frameTimeoutMs` to send the rest of a frame: its stream is closed. */
export class SlowFrameError extends MembershipError {
  readonly code = 'ERR_RAFT_SLOW_FRAME';
}

/** How an accepted stream is served. */
export interface ServeOptions {
  /** Answers one request; runs synchronously, so answers leave in order. */
  readonly handle: (request: RpcRequest) => RpcResponse;
  /** Told why a stream is closed: malformed input, a handler that threw, a slow frame. */
  readonly onError: (error: Error) => void;
  /** How long a frame may take from its first byte to its last. */
  readonly frameTimeoutMs: number;
}

/**
 * Answers the requests arriving on an accepted `stream`. A malformed
 * message, a handler that throws on it, a frame over
 * {@link MAX_RPC_FRAME_SIZE} or one not whole within `frameTimeoutMs`
 * destroys the stream; the node carries on. Reading pauses while the peer
 * does not read our answers, so one stream holds at most one frame, one
 * socket read and the answers to one read (each answer is smaller than its
 * request).
 */
export function serveStream(stream: Duplex, options: ServeOptions): void {
  const decoder = new FrameDecoder({ maxFrameSize: MAX_RPC_FRAME_SIZE });
  let received = 0;
  let consumed = 0;
  let deadline: NodeJS.Timeout | undefined;
  const fail = (error: Error): void => {
    clearTimeout(deadline);
    options.onError(error);
    stream.destroy();
  };
  const onPayload = (payload: Buffer): void => {
    consumed += FRAME_HEADER_BYTES + payload.length;
    if (stream.destroyed) return;
    const answer = options.handle(parseRequest(decodePayload(payload)));
    if (!stream.write(encodeFrame(answer))) {
      stream.pause();
      stream.once('drain', () => stream.resume());
    }
  };
  // Trickling bytes is not progress: the deadline runs from a frame's first byte.
  const watchPartialFrame = (completedFrames: boolean): void => {
    if (received === consumed) {
      clearTimeout(deadline);
      deadline = undefined;
    } else if (!deadline) {
      deadline = setTimeout(() => fail(new SlowFrameError(`a frame was not whole within ${options.frameTimeoutMs} ms`)), options.frameTimeoutMs);
    } else if (completedFrames) {
      deadline.refresh();
    }
  };
  stream.on('data', (chunk: Buffer) => {
    received += chunk.length;
    const before = consumed;
    try {
      decoder.push(chunk, onPayload);
    } catch (error) {
      fail(error as Error);
      return;
    }
    if (!stream.destroyed) watchPartialFrame(consumed !== before);
  });
  stream.on('close', () => clearTimeout(deadline));
  stream.on('error', () => stream.destroy());
}

/**
 * Accepts streams from `layer` until `signal` aborts, answering each with
 * {@link serveStream}. `inbound` holds the open ones, so that the owner can
 * destroy them when it closes.
 */
export async function acceptStreams(layer: StreamLayer, signal: AbortSignal, inbound: Set<Duplex>, options: ServeOptions): Promise<void> {
  while (!signal.aborted) {
    let stream: Duplex;
    try {
      stream = await layer.accept(signal);
    } catch {
      return; // closed, here or by the layer's owner
    }
    if (signal.aborted) {
      stream.destroy();
      return;
    }
    inbound.add(stream);
    stream.once('close', () => inbound.delete(stream));
    serveStream(stream, options);
  }
}
