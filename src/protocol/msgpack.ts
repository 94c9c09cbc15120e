import { C1, Packr, RESERVE_START_SPACE } from 'msgpackr';
import { MalformedFrameError } from './errors.js';

/**
 * The one MessagePack codec of the protocol: plain MessagePack that any
 * language's library reads. No records or structures; maps as objects;
 * the smallest map header for the key count (fixmap for our messages).
 */
const codec = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  moreTypes: false,
  int64AsType: 'number',
});

/** Bytes of the length prefix before every frame's payload. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Encodes `value` as a frame: a 4-byte big-endian payload length, then the
 * MessagePack payload, in one buffer and without a copy.
 */
export function encodeFrame(value: unknown): Buffer {
  const frame = codec.pack(value, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}

/**
 * Decodes one whole payload; anything that is not exactly one MessagePack
 * value throws {@link MalformedFrameError}.
 */
export function decodePayload(payload: Uint8Array): unknown {
  let value: unknown;
  try {
    value = codec.unpack(payload);
  } catch (cause) {
    throw new MalformedFrameError(`payload is not one MessagePack value: ${(cause as Error).message}`, { cause });
  }
  assertPlain(value, 0);
  return value;
}

/** Nesting deeper than any message needs is refused rather than walked. */
const MAX_DEPTH = 32;

/**
 * msgpackr turns the never-used byte 0xc1 into a placeholder and the
 * timestamp extension into a Date instead of failing: refuse both, so that
 * only plain MessagePack values get through, however deep.
 */
function assertPlain(value: unknown, depth: number): void {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return;
  if (value === C1) throw new MalformedFrameError('payload holds the byte 0xc1, which MessagePack never uses');
  if (value instanceof Date) throw new MalformedFrameError('payload holds an extension type (timestamp)');
  if (depth >= MAX_DEPTH) throw new MalformedFrameError(`payload nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (const child of value) assertPlain(child, depth + 1);
    return;
  }
  // for...in allocates nothing, unlike Object.values: this runs on every frame.
  const map = value as Record<string, unknown>;
  for (const key in map) assertPlain(map[key], depth + 1);
}
