/**
 * A MessagePack writer for the values the protocol sends: plain objects
 * (string keys, `undefined` values left out), arrays, strings, numbers,
 * booleans, null and 64-bit BigInts. It writes exactly the bytes the
 * protocol's msgpackr `Packr` writes for them (the smallest forms; integers
 * past 32 bits and fractions as float64; a BigInt as int64, or uint64 past
 * 2^63), without msgpackr's per-call set-up, which costs more than a whole
 * small message. Anything else (a Map, a Date, a Buffer, `undefined` in an
 * array…) is left to msgpackr: {@link writeFrame} then returns `undefined`.
 */

/** Frames are written one after another into a slab; a frame handed out is never written over. */
const SLAB_BYTES = 16 * 1024;
/** Room always left at a slab's end, so that fixed-size items need no check. */
const SPARE = 16;

let slab = Buffer.allocUnsafe(SLAB_BYTES);
let pos = 0;
/** Where the frame being written starts in `slab`. */
let frameStart = 0;

/** Thrown inside the writer for a value it leaves to msgpackr. */
const UNSUPPORTED = Symbol('unsupported by the fast writer');

/**
 * Writes `value` as a frame: `headerBytes` bytes left for the caller (the
 * length prefix), then the MessagePack value. Returns a view of the bytes
 * that stays valid, or `undefined` when `value` holds something this writer
 * leaves to msgpackr.
 */
export function writeFrame(value: unknown, headerBytes: number): Buffer | undefined {
  if (slab.length - pos < 256) newSlab(0);
  frameStart = pos;
  pos += headerBytes;
  try {
    write(value);
  } catch (err) {
    pos = frameStart;
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
  return slab.subarray(frameStart, pos);
}

/**
 * Writes the success answer `{ rid, ok: true, index }` as a frame, the
 * bytes {@link writeFrame} writes for that object (`index` left out when
 * undefined), without making the object and walking it. `rid` and `index`
 * are integers from 0 to 2^32 - 1.
 */
export function writeSuccessFrame(rid: number, index: number | undefined, headerBytes: number): Buffer {
  if (slab.length - pos < 256) newSlab(0);
  frameStart = pos;
  pos += headerBytes;
  slab[pos++] = index === undefined ? 0x82 : 0x83;
  writeString('rid');
  writeNumber(rid);
  writeString('ok');
  slab[pos++] = 0xc3;
  if (index !== undefined) {
    writeString('index');
    writeNumber(index);
  }
  return slab.subarray(frameStart, pos);
}

/** Moves to a new slab with room for `bytes` more, carrying over the frame begun so far. */
function newSlab(bytes: number): void {
  const begun = pos - frameStart;
  const next = Buffer.allocUnsafe(Math.max(SLAB_BYTES, (begun + bytes + SPARE) * 2));
  slab.copy(next, 0, frameStart, pos);
  slab = next;
  frameStart = 0;
  pos = begun;
}

function ensure(bytes: number): void {
  if (slab.length - SPARE - pos < bytes) newSlab(bytes);
}

function write(value: unknown): void {
  ensure(0);
  switch (typeof value) {
    case 'string':
      return writeString(value);
    case 'number':
      return writeNumber(value);
    case 'boolean':
      slab[pos++] = value ? 0xc3 : 0xc2;
      return;
    case 'bigint':
      return writeBigInt(value);
    case 'object':
      if (value === null) {
        slab[pos++] = 0xc0;
        return;
      }
      if (value.constructor === Object) return writeMap(value as Record<string, unknown>);
      if (value.constructor === Array) return writeArray(value as unknown[]);
      throw UNSUPPORTED;
    default:
      throw UNSUPPORTED;
  }
}

function writeNumber(value: number): void {
  if (value >>> 0 === value) {
    if (value < 0x80) slab[pos++] = value;
    else if (value < 0x100) {
      slab[pos++] = 0xcc;
      slab[pos++] = value;
    } else if (value < 0x10000) {
      slab[pos++] = 0xcd;
      slab[pos++] = value >> 8;
      slab[pos++] = value & 0xff;
    } else {
      slab[pos++] = 0xce;
      writeUint32(value, pos);
      pos += 4;
    }
  } else if (value >> 0 === value) {
    if (value >= -0x20) slab[pos++] = 0x100 + value;
    else if (value >= -0x80) {
      slab[pos++] = 0xd0;
      slab[pos++] = value + 0x100;
    } else if (value >= -0x8000) {
      slab[pos++] = 0xd1;
      pos = slab.writeInt16BE(value, pos);
    } else {
      slab[pos++] = 0xd2;
      pos = slab.writeInt32BE(value, pos);
    }
  } else {
    slab[pos++] = 0xcb;
    pos = slab.writeDoubleBE(value, pos);
  }
}

const INT64_MIN = -(2n ** 63n);
const UINT64_END = 2n ** 64n;

function writeBigInt(value: bigint): void {
  if (value >= INT64_MIN && value < -INT64_MIN) {
    slab[pos++] = 0xd3;
    pos = slab.writeBigInt64BE(value, pos);
  } else if (value > 0n && value < UINT64_END) {
    slab[pos++] = 0xcf;
    pos = slab.writeBigUInt64BE(value, pos);
  } else {
    throw UNSUPPORTED;
  }
}

function writeUint32(value: number, at: number): void {
  slab[at] = value >>> 24;
  slab[at + 1] = (value >> 16) & 0xff;
  slab[at + 2] = (value >> 8) & 0xff;
  slab[at + 3] = value & 0xff;
}

/** Writes a map or array header for `count` entries (`fix` is the fixmap/fixarray base, `big` the 16-bit form). */
function writeHeader(count: number, fix: number, big: number): void {
  if (count < 0x10) slab[pos++] = fix | count;
  else if (count < 0x10000) {
    slab[pos++] = big;
    slab[pos++] = count >> 8;
    slab[pos++] = count & 0xff;
  } else {
    slab[pos++] = big + 1;
    writeUint32(count, pos);
    pos += 4;
  }
}

function writeArray(array: readonly unknown[]): void {
  writeHeader(array.length, 0x90, 0xdc);
  for (let i = 0; i < array.length; i++) {
    // msgpackr writes `undefined` in an array as an extension: left to it, so nothing changes.
    write(array[i]);
  }
}

function writeMap(map: Record<string, unknown>): void {
  // Own keys whose value is not undefined, in property order, as msgpackr's
  // `skipValues: [undefined]` writes them; the header is patched once counted.
  // Offsets are kept from the frame's start: writing may move it to a new slab.
  const header = pos++ - frameStart;
  let count = 0;
  for (const key in map) {
    if (!Object.hasOwn(map, key)) continue;
    const value = map[key];
    if (value === undefined) continue;
    count++;
    writeString(key);
    write(value);
  }
  if (count < 0x10) {
    slab[frameStart + header] = 0x80 | count;
    return;
  }
  // Rare: a map of 16 keys or more needs a longer header; move its pairs along.
  const extra = count < 0x10000 ? 2 : 4;
  ensure(extra);
  const at = frameStart + header;
  slab.copyWithin(at + 1 + extra, at + 1, pos);
  const end = pos + extra;
  pos = at;
  writeHeader(count, 0x80, 0xde);
  pos = end;
}

/** Strings of up to this many characters are encoded in JavaScript, longer ones by Node. */
const SHORT_STRING = 64;

function writeString(text: string): void {
  const length = text.length;
  // Room for the longest encoding: 3 bytes per UTF-16 unit, and a 5-byte header.
  ensure(length * 3 + 5);
  // Guess the header from the length in characters; fix it up if the bytes need a longer one.
  const guess = length < 0x20 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
  const start = pos;
  const bytes = length < SHORT_STRING ? encodeShort(text, start + guess) : slab.write(text, start + guess, 'utf8');
  const needed = bytes < 0x20 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5;
  if (needed !== guess) slab.copyWithin(start + needed, start + guess, start + guess + bytes);
  if (needed === 1) slab[start] = 0xa0 | bytes;
  else if (needed === 2) {
    slab[start] = 0xd9;
    slab[start + 1] = bytes;
  } else if (needed === 3) {
    slab[start] = 0xda;
    slab[start + 1] = bytes >> 8;
    slab[start + 2] = bytes & 0xff;
  } else {
    slab[start] = 0xdb;
    writeUint32(bytes, start + 1);
  }
  pos = start + needed + bytes;
}

/** UTF-8 of `text` at `at`, a lone surrogate as U+FFFD (as Node and msgpackr write it); returns the byte count. */
function encodeShort(text: string, at: number): number {
  const out = slab;
  const length = text.length;
  // ASCII first, the common case: one byte per character.
  let i = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) break;
    out[at + i] = c;
  }
  return i === length ? length : encodeRest(text, i, at + i) - at;
}

/** The rest of {@link encodeShort} from character `from`, written at `to`; returns where it ended. */
function encodeRest(text: string, from: number, to: number): number {
  const out = slab;
  let at = to;
  for (let i = from; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
    } else if (c < 0x800) {
      out[at++] = (c >> 6) | 0xc0;
      out[at++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c & 0x3ff) << 10) + (text.charCodeAt(++i) & 0x3ff);
      out[at++] = (c >> 18) | 0xf0;
      out[at++] = ((c >> 12) & 0x3f) | 0x80;
      out[at++] = ((c >> 6) & 0x3f) | 0x80;
      out[at++] = (c & 0x3f) | 0x80;
    } else if ((c & 0xf800) === 0xd800) {
      out[at++] = 0xef;
      out[at++] = 0xbf;
      out[at++] = 0xbd;
    } else {
      out[at++] = (c >> 12) | 0xe0;
      out[at++] = ((c >> 6) & 0x3f) | 0x80;
      out[at++] = (c & 0x3f) | 0x80;
    }
  }
  return at;
}
