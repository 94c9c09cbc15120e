import { Packr, RESERVE_START_SPACE, type Options } from 'msgpackr';
import { MalformedFrameError } from './errors.js';
import { PayloadStructureError, readMessagePack } from './msgpack-reader.js';
import { writeFrame, writeSuccessFrame } from './msgpack-writer.js';

export { MAX_NESTING_DEPTH } from './msgpack-reader.js';

/**
 * The MessagePack encoder of the protocol: plain MessagePack that any
 * language's library reads. No records or structures; the smallest map
 * header for the key count (fixmap for our messages). The protocol's own
 * messages go through the faster `writeFrame`, which writes the same bytes;
 * this one takes whatever else a caller packs.
 */
const codec = new Packr(packOptions({
  useRecords: false,
  variableMapSize: true,
  moreTypes: false,
  // msgpackr would write `undefined` as extension type 0, which a peer must
  // not be sent: a field that is undefined is left out instead.
  skipValues: [undefined],
}));

/** msgpackr 2.1 reads `skipValues` but its types do not declare it. */
function packOptions(options: Options & { readonly skipValues: readonly unknown[] }): Options {
  return options;
}

/** Bytes of the length prefix before every frame's payload. */
export const FRAME_HEADER_BYTES = 4;

/**
 * Encodes `value` as a frame: a 4-byte big-endian payload length, then the
 * MessagePack payload, in one buffer and without a copy.
 */
export function encodeFrame(value: unknown): Buffer {
  const frame = writeFrame(value, FRAME_HEADER_BYTES) ?? codec.pack(value, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}

/**
 * Encodes the success answer `{ rid, ok: true, index }` as a frame, the
 * bytes {@link encodeFrame} makes of that object, without the object.
 * `rid` and `index` are integers from 0 to 2^32 - 1 (`index` may be undefined).
 */
export function encodeSuccessFrame(rid: number, index: number | undefined): Buffer {
  const frame = writeSuccessFrame(rid, index, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}

/**
 * Decodes one whole payload; anything that is not exactly one plain
 * MessagePack value throws {@link MalformedFrameError}. Maps come back as
 * plain objects holding only their string-keyed pairs (a repeated key: the
 * last one wins); see docs/wire-format.md §6 and `readMessagePack`.
 */
export function decodePayload(payload: Uint8Array): unknown {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  try {
    return readMessagePack(bytes);
  } catch (cause) {
    if (cause instanceof PayloadStructureError) {
      throw new MalformedFrameError(`payload is not one MessagePack value: ${cause.message}`, { cause });
    }
    throw cause;
  }
}
