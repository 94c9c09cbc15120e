import { C1, Packr, RESERVE_START_SPACE, Unpackr, type Options } from 'msgpackr';
import { MalformedFrameError } from './errors.js';

/**
 * The MessagePack encoder of the protocol: plain MessagePack that any
 * language's library reads. No records or structures; the smallest map
 * header for the key count (fixmap for our messages).
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
  const frame = codec.pack(value, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}

/**
 * Decoding reads maps as `Map`s, so that a key that is not a string (an
 * integer, a binary, a map…) stays what it is and can be dropped, instead of
 * being coerced to a property name or failing the whole payload.
 */
const decoder = new Unpackr({ useRecords: false, mapsAsObjects: false, moreTypes: false, int64AsType: 'number' });

/**
 * Decodes one whole payload; anything that is not exactly one plain
 * MessagePack value throws {@link MalformedFrameError}. Maps come back as
 * plain objects holding only their string-keyed pairs (a repeated key: the
 * last one wins); see docs/wire-format.md §6.
 */
export function decodePayload(payload: Uint8Array): unknown {
  // As a Buffer, every `bin` comes back as a Buffer: anything else that is
  // byte-like came from an extension type.
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  let value: unknown;
  try {
    value = decoder.unpack(bytes);
  } catch (cause) {
    throw new MalformedFrameError(`payload is not one MessagePack value: ${(cause as Error).message}`, { cause });
  }
  return toPlain(value, 1);
}

/** Maps and arrays inside one another, the outermost included, beyond which a payload is refused. */
export const MAX_NESTING_DEPTH = 32;

/**
 * msgpackr turns the never-used type byte 0xc1 into a placeholder and
 * extension types into `undefined` (type 0), a BigInt, a typed array, a Date
 * and more, instead of failing: refuse all of them, so that only plain
 * MessagePack values get through, however deep. `depth` counts the maps and
 * arrays around `value`, itself included.
 */
function toPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw new MalformedFrameError(`payload holds an extension type (read as ${typeof value})`);
  }
  if (value === null || Buffer.isBuffer(value)) return value;
  if (value === C1) throw new MalformedFrameError('payload holds the type byte 0xc1, which MessagePack never uses');
  const isMap = value instanceof Map;
  if (!isMap && !Array.isArray(value)) throw new MalformedFrameError(`payload holds an extension type (read as ${value.constructor?.name ?? 'an object'})`);
  if (depth > MAX_NESTING_DEPTH) throw new MalformedFrameError(`payload nests maps and arrays more than ${MAX_NESTING_DEPTH} deep`);
  if (!isMap) {
    for (let i = 0; i < value.length; i++) value[i] = toPlain(value[i], depth + 1);
    return value;
  }
  const map: Record<string, unknown> = {};
  for (const [key, child] of value as Map<unknown, unknown>) {
    const plain = toPlain(child, depth + 1);
    // A key that is not a string, like a key nobody knows, is ignored; but it
    // must be plain MessagePack all the same. `__proto__` would not be an own
    // property: no message uses it, so it is ignored too.
    if (typeof key !== 'string') toPlain(key, depth + 1);
    else if (key !== '__proto__') map[key] = plain;
  }
  return map;
}
