import { MalformedFrameError } from './errors.js';

/** Maps and arrays inside one another, the outermost included, beyond which a payload is refused. */
export const MAX_NESTING_DEPTH = 32;

/**
 * Where a payload stopped being MessagePack (cut short, bytes after the
 * value): the cause of the {@link MalformedFrameError} that `decodePayload`
 * throws.
 */
export class PayloadStructureError extends Error {
  override readonly name = 'PayloadStructureError';
}

// The payload being read. Reading is synchronous and never re-entered, so
// one module-level cursor serves every call without allocating a reader.
let src: Buffer = Buffer.alloc(0);
let pos = 0;
let end = 0;

/**
 * Reads `bytes`, which must hold exactly one MessagePack value, straight
 * into plain JavaScript values (docs/wire-format.md §6):
 * - a map becomes a plain object of its string-keyed pairs; a pair whose key
 *   is not a string is read (so it must be valid) and dropped, like a
 *   `__proto__` key; a repeated key keeps its last value;
 * - nil is `null`, integers and floats are numbers (a 64-bit integer past
 *   2^53 rounded to the nearest double), `bin` is a Buffer of its own;
 * - a string is decoded as UTF-8, each invalid sequence as U+FFFD;
 * - an extension type (`c7`–`c9`, `d4`–`d8`), the type byte `c1`, and maps
 *   and arrays nested more than {@link MAX_NESTING_DEPTH} deep throw
 *   {@link MalformedFrameError}, wherever they are;
 * - a value cut short, or bytes after the value, throw
 *   {@link PayloadStructureError}.
 */
export function readMessagePack(bytes: Buffer): unknown {
  src = bytes;
  pos = 0;
  end = bytes.length;
  try {
    const value = readValue(1);
    if (pos !== end) throw new PayloadStructureError(`${end - pos} bytes after the value`);
    return value;
  } finally {
    // Not keeping the caller's buffer alive between calls.
    src = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** Reads the value at `pos`; `depth` is the level it has if it is a map or an array. */
function readValue(depth: number): unknown {
  if (pos >= end) throw cutShort();
  const type = src[pos++]!;
  if (type < 0x80) return type;
  if (type < 0x90) return readMap(type & 0x0f, depth);
  if (type < 0xa0) return readArray(type & 0x0f, depth);
  if (type < 0xc0) return readString(type & 0x1f);
  if (type >= 0xe0) return type - 0x100;
  switch (type) {
    case 0xc0:
      return null;
    case 0xc1:
      throw new MalformedFrameError('payload holds the type byte 0xc1, which MessagePack never uses');
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(readLength(1));
    case 0xc5:
      return readBin(readLength(2));
    case 0xc6:
      return readBin(readLength(4));
    case 0xca:
      need(4);
      pos += 4;
      return src.readFloatBE(pos - 4);
    case 0xcb:
      need(8);
      pos += 8;
      return src.readDoubleBE(pos - 8);
    case 0xcc:
      return readLength(1);
    case 0xcd:
      return readLength(2);
    case 0xce:
      return readLength(4);
    case 0xcf: {
      const high = readLength(4);
      return high * 0x1_0000_0000 + readLength(4);
    }
    case 0xd0:
      need(1);
      return (src[pos++]! << 24) >> 24;
    case 0xd1:
      return (readLength(2) << 16) >> 16;
    case 0xd2:
      return readLength(4) | 0;
    case 0xd3: {
      const high = readLength(4) | 0;
      return high * 0x1_0000_0000 + readLength(4);
    }
    case 0xd9:
      return readString(readLength(1));
    case 0xda:
      return readString(readLength(2));
    case 0xdb:
      return readString(readLength(4));
    case 0xdc:
      return readArray(readLength(2), depth);
    case 0xdd:
      return readArray(readLength(4), depth);
    case 0xde:
      return readMap(readLength(2), depth);
    case 0xdf:
      return readMap(readLength(4), depth);
    default:
      // c7–c9 (ext 8/16/32) and d4–d8 (fixext): the only type bytes left.
      throw new MalformedFrameError(`payload holds an extension type (type byte 0x${type.toString(16)})`);
  }
}

function cutShort(): PayloadStructureError {
  return new PayloadStructureError('the payload ends inside a value');
}

function need(bytes: number): void {
  if (end - pos < bytes) throw cutShort();
}

/** A big-endian unsigned integer of 1, 2 or 4 bytes. */
function readLength(bytes: 1 | 2 | 4): number {
  need(bytes);
  const at = pos;
  pos += bytes;
  if (bytes === 1) return src[at]!;
  if (bytes === 2) return (src[at]! << 8) | src[at + 1]!;
  return src[at]! * 0x100_0000 + ((src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!);
}

function checkDepth(depth: number): void {
  if (depth > MAX_NESTING_DEPTH) throw new MalformedFrameError(`payload nests maps and arrays more than ${MAX_NESTING_DEPTH} deep`);
}

function readArray(count: number, depth: number): unknown[] {
  checkDepth(depth);
  // Every element takes a byte at least: a declared count the payload
  // cannot hold is refused before anything is allocated for it.
  if (count > end - pos) throw cutShort();
  const array = new Array<unknown>(count);
  for (let i = 0; i < count; i++) array[i] = readValue(depth + 1);
  return array;
}

function readMap(count: number, depth: number): Record<string, unknown> {
  checkDepth(depth);
  if (count * 2 > end - pos) throw cutShort();
  const map: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    let key: unknown;
    const type = src[pos]!;
    if (type >= 0xa0 && type < 0xc0) {
      pos++;
      key = readKey(type & 0x1f);
    } else {
      // Any other key is read like a value, so that it must be plain
      // MessagePack too, then dropped unless it is a string.
      key = readValue(depth + 1);
    }
    const value = readValue(depth + 1);
    // `__proto__` would not be an own property: no message uses it, so it is ignored too.
    if (typeof key === 'string' && key !== '__proto__') map[key] = value;
  }
  return map;
}

function readBin(length: number): Buffer {
  need(length);
  pos += length;
  // A copy: a decoded value never holds on to the socket's chunk.
  return Buffer.from(src.subarray(pos - length, pos));
}

/**
 * Strings up to this many bytes are built in JavaScript when they are
 * ASCII, longer ones by Node. Not more: V8 makes a concatenation of 13
 * characters or more a rope, which the first lookup (a Map key, a property
 * name) then has to flatten, and that cost more than Node's decoding.
 */
const SHORT_STRING = 12;

function readString(length: number): string {
  need(length);
  const start = pos;
  pos += length;
  return utf8String(src, start, length);
}

/**
 * `length` bytes of `bytes` at `start` as a string, as MessagePack strings
 * are read (UTF-8, each invalid sequence as U+FFFD): for the protocol's
 * readers of their own too.
 */
export function utf8String(bytes: Buffer, start: number, length: number): string {
  if (length <= SHORT_STRING) {
    const ascii = asciiString(bytes, start, length);
    if (ascii !== undefined) return ascii;
  }
  return hasUtf8Slice ? (bytes as Buffer & Utf8Sliceable).utf8Slice(start, start + length) : bytes.toString('utf8', start, start + length);
}

/**
 * Node's Buffer has `utf8Slice`, the native method behind `toString('utf8')`
 * without its argument handling (a third of a string's cost here). It is
 * not in Node's types; `toString` stands in if it is ever missing.
 */
interface Utf8Sliceable {
  utf8Slice(start: number, end: number): string;
}

const hasUtf8Slice = typeof (Buffer.prototype as Partial<Utf8Sliceable>).utf8Slice === 'function';

/** `length` bytes at `start` as a string if they are all ASCII, else `undefined`. */
function asciiString(bytes: Buffer, start: number, length: number): string | undefined {
  const stop = start + length;
  let text = '';
  let at = start;
  // Four characters per call: fewer, larger string pieces than one at a time.
  for (; stop - at >= 4; at += 4) {
    const a = bytes[at]!;
    const b = bytes[at + 1]!;
    const c = bytes[at + 2]!;
    const d = bytes[at + 3]!;
    if ((a | b | c | d) >= 0x80) return undefined;
    text += String.fromCharCode(a, b, c, d);
  }
  for (; at < stop; at++) {
    const byte = bytes[at]!;
    if (byte >= 0x80) return undefined;
    text += String.fromCharCode(byte);
  }
  return text;
}

/**
 * Map keys are few and repeat in every message (`type`, `rid`, `id`…): a
 * small cache hands back the same string for the same short ASCII bytes,
 * which also spares the engine from looking the new string up as a
 * property name. Slots are picked by length and first and last byte.
 */
const keyCache = new Array<string | undefined>(1024);

function readKey(length: number): string {
  if (length === 0 || length > 16 || end - pos < length) return readString(length);
  const slot = ((length << 5) ^ (src[pos]! << 2) ^ src[pos + length - 1]!) & 0x3ff;
  const cached = keyCache[slot];
  if (cached !== undefined && cached.length === length) {
    let i = 0;
    while (i < length && cached.charCodeAt(i) === src[pos + i]) i++;
    if (i === length) {
      pos += length;
      return cached;
    }
  }
  const key = readString(length);
  if (isAscii(key, length)) keyCache[slot] = key;
  return key;
}

/** Whether `text`, read from `bytes` bytes, is ASCII: then its characters are its bytes, as the cache compares them. */
function isAscii(text: string, bytes: number): boolean {
  if (text.length !== bytes) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}
