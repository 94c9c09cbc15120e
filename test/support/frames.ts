import { FrameDecoder, type FrameDecoderOptions } from '../../src/protocol/index.js';

/**
 * Feeds `chunks` to a fresh decoder (or `decoder`) and returns every payload
 * it completed, copied so later pushes cannot change them.
 */
export function decodeFrames(chunks: readonly Buffer[], decoder: FrameDecoder | FrameDecoderOptions = {}): Buffer[] {
  const d = decoder instanceof FrameDecoder ? decoder : new FrameDecoder(decoder);
  const payloads: Buffer[] = [];
  for (const chunk of chunks) d.push(chunk, (payload) => payloads.push(Buffer.from(payload)));
  return payloads;
}

/** `bytes` cut at each of the (sorted, in-range) offsets in `cuts`. */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    parts.push(bytes.subarray(from, cut));
    from = cut;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

/** `bytes` one byte at a time. */
export function byteByByte(bytes: Buffer): Buffer[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}
