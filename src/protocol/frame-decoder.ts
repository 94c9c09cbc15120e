import { InvalidOptionError } from '../membership/errors.js';
import { EmptyFrameError, FrameTooLargeError } from './errors.js';
import { FRAME_HEADER_BYTES } from './msgpack.js';

/** The default cap on a frame's payload: ample for any membership message. */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024;

/** The largest cap a decoder accepts (the length field's own limit is 4 GiB). */
export const MAX_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/**
 * Past this many chunks of an unfinished frame, they are copied into one:
 * each chunk a socket read returns has its own backing store (~200 bytes
 * for a 1-byte read), so a frame trickled a byte at a time would otherwise
 * hold ~200 times its size.
 */
const MAX_BUFFERED_CHUNKS = 16;

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** The largest payload accepted, in bytes. @default 65536 */
  readonly maxFrameSize?: number;
}

/**
 * Splits a byte stream into frame payloads: an incremental state machine fed
 * chunks of any size. A declared length is checked against the maximum
 * before any of its payload is buffered. After it throws, the stream is
 * broken: the caller closes the connection.
 */
export class FrameDecoder {
  readonly maxFrameSize: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The payload length being waited for, or -1 while reading a header. */
  #need = -1;
  #failed: Error | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(max) || max < 1 || max > MAX_MAX_FRAME_SIZE) {
      throw new InvalidOptionError(`maxFrameSize must be an integer from 1 to ${MAX_MAX_FRAME_SIZE}, got ${max}`);
    }
    this.maxFrameSize = max;
  }

  /** Bytes received but not yet handed out as a payload. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /** True while a frame has begun (part of its header or payload arrived) and is not whole yet. */
  get inFrame(): boolean {
    return this.#buffered > 0 || this.#need >= 0;
  }

  /**
   * Feeds `chunk` and calls `onPayload` for each frame it completes, in
   * order. A payload is a view that stays valid. Throws
   * {@link FrameTooLargeError} or {@link EmptyFrameError}, and again on every
   * later call.
   */
  push(chunk: Buffer, onPayload: (payload: Buffer) => void): void {
    if (this.#failed) throw this.#failed;
    if (this.#buffered === 0 && this.#need < 0) {
      // Fast path: whole frames straight out of the chunk, no copies.
      let offset = 0;
      while (chunk.length - offset >= FRAME_HEADER_BYTES) {
        const length = this.#check(chunk.readUInt32BE(offset));
        const end = offset + FRAME_HEADER_BYTES + length;
        if (end > chunk.length) break;
        onPayload(chunk.subarray(offset + FRAME_HEADER_BYTES, end));
        offset = end;
      }
      if (offset === chunk.length) return;
      chunk = chunk.subarray(offset);
    }
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#drain(onPayload);
    if (this.#chunks.length > MAX_BUFFERED_CHUNKS) this.#chunks = [Buffer.concat(this.#chunks, this.#buffered)];
  }

  #drain(onPayload: (payload: Buffer) => void): void {
    for (;;) {
      if (this.#need < 0) {
        if (this.#buffered < FRAME_HEADER_BYTES) return;
        this.#need = this.#check(this.#take(FRAME_HEADER_BYTES).readUInt32BE(0));
      }
      if (this.#buffered < this.#need) return;
      const payload = this.#take(this.#need);
      this.#need = -1;
      onPayload(payload);
    }
  }

  #check(length: number): number {
    if (length === 0) this.#failed = new EmptyFrameError();
    else if (length > this.maxFrameSize) this.#failed = new FrameTooLargeError(length, this.maxFrameSize);
    else return length;
    this.#chunks = [];
    this.#buffered = 0;
    throw this.#failed;
  }

  /** Removes the first `n` buffered bytes (n <= buffered). */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0]!;
    if (first.length === n) {
      this.#chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0]!;
      const part = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, part);
      filled += part;
      if (part === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(part);
    }
    return out;
  }
}
