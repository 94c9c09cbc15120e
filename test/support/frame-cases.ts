import { EmptyFrameError, FrameDecoder, FrameTooLargeError } from '../../src/protocol/index.js';

// Frame decoder cases shared by the tests that feed them in different ways.

/** A frame around `payload`, built by hand so the decoder is not tested against itself. */
export function frame(payload: Buffer | string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** A bare 4-byte header declaring `length`. */
export function header(length: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(length, 0);
  return out;
}

/** The maxFrameSize the cases are written for. */
export const MAX = 16;

/**
 * Streams that decode cleanly: the bytes, the payloads they hold, and what
 * stays buffered (a header, once read, no longer counts).
 */
export const good: Array<[string, Buffer, string[], number]> = [
  ['one frame', frame('hello'), ['hello'], 0],
  ['a one-byte payload', frame('x'), ['x'], 0],
  ['a payload of exactly maxFrameSize', frame('m'.repeat(MAX)), ['m'.repeat(MAX)], 0],
  ['three frames back to back', Buffer.concat([frame('a'), frame('bcde'), frame('fghijklmn')]), ['a', 'bcde', 'fghijklmn'], 0],
  ['a payload that looks like a header', frame(header(0xffff_ffff)), [header(0xffff_ffff).toString('latin1')], 0],
  ['a frame then half a header', Buffer.concat([frame('ok'), header(3).subarray(0, 2)]), ['ok'], 2],
  ['a frame then a header and part of its payload', Buffer.concat([frame('ok'), header(3), Buffer.from('ab')]), ['ok'], 2],
];

/** Streams that break: the bytes, the payloads before the break, the error. */
export const bad: Array<[string, Buffer, string[], typeof FrameTooLargeError | typeof EmptyFrameError]> = [
  ['a zero length', header(0), [], EmptyFrameError],
  ['a length one over the maximum', Buffer.concat([header(MAX + 1), Buffer.alloc(MAX + 1)]), [], FrameTooLargeError],
  ['the largest length field', header(0xffff_ffff), [], FrameTooLargeError],
  ['a good frame, then a zero length', Buffer.concat([frame('first'), header(0), frame('never')]), ['first'], EmptyFrameError],
  ['a good frame, then an oversized length', Buffer.concat([frame('first'), header(MAX + 1), frame('never')]), ['first'], FrameTooLargeError],
];

/** Feeds `chunks` until one throws; returns the payloads delivered and what was thrown. */
export function feedUntilError(chunks: readonly Buffer[], decoder = new FrameDecoder({ maxFrameSize: MAX })): { payloads: string[]; error: unknown } {
  const payloads: string[] = [];
  for (const chunk of chunks) {
    try {
      decoder.push(chunk, (p) => payloads.push(p.toString('latin1')));
    } catch (error) {
      return { payloads, error };
    }
  }
  return { payloads, error: undefined };
}

