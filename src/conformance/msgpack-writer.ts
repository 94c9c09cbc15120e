/**
 * A MessagePack writer that writes exactly the form it is told, for the
 * kit's odd-but-valid and invalid encodings (`map16` for two pairs, a rid
 * as `int64`, an extension type). Every function returns the encoded bytes;
 * containers take already-encoded elements.
 */

/** An integer width, unsigned or signed, and the positive/negative fixint. */
export type IntForm = 'fixint' | 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';
/** The header of a str. */
export type StrForm = 'fixstr' | 'str8' | 'str16' | 'str32';
/** The header of a map or an array. */
export type ContainerForm = 'fix' | '16' | '32';

const INT_TYPES: Record<Exclude<IntForm, 'fixint'>, [type: number, bytes: number]> = {
  u8: [0xcc, 1],
  u16: [0xcd, 2],
  u32: [0xce, 4],
  u64: [0xcf, 8],
  i8: [0xd0, 1],
  i16: [0xd1, 2],
  i32: [0xd2, 4],
  i64: [0xd3, 8],
};

/** `n` in the integer form `form` (the smallest one when not given). */
export function int(n: number | bigint, form?: IntForm): Buffer {
  const value = BigInt(n);
  const chosen = form ?? smallestIntForm(value);
  if (chosen === 'fixint') {
    if (value < -32n || value > 127n) throw new RangeError(`${value} is no fixint`);
    return Buffer.from([Number(value) & 0xff]);
  }
  const [type, bytes] = INT_TYPES[chosen];
  const out = Buffer.alloc(1 + bytes);
  out[0] = type;
  const signed = chosen.startsWith('i');
  const bits = BigInt(bytes * 8);
  const wrapped = signed ? BigInt.asUintN(Number(bits), value) : value;
  if (!signed && (value < 0n || value >= 1n << bits)) throw new RangeError(`${value} does not fit ${chosen}`);
  if (signed && (value < -(1n << (bits - 1n)) || value >= 1n << (bits - 1n))) throw new RangeError(`${value} does not fit ${chosen}`);
  for (let i = 0; i < bytes; i++) out[bytes - i] = Number((wrapped >> BigInt(8 * i)) & 0xffn);
  return out;
}

function smallestIntForm(value: bigint): IntForm {
  if (value >= -32n && value <= 127n) return 'fixint';
  if (value >= 0n) return value < 0x100n ? 'u8' : value < 0x10000n ? 'u16' : value < 0x1_0000_0000n ? 'u32' : 'u64';
  return value >= -0x80n ? 'i8' : value >= -0x8000n ? 'i16' : value >= -0x8000_0000n ? 'i32' : 'i64';
}

/** A float64 (`cb`), or a float32 (`ca`) when `single`. */
export function float(n: number, single = false): Buffer {
  const out = Buffer.alloc(single ? 5 : 9);
  out[0] = single ? 0xca : 0xcb;
  if (single) out.writeFloatBE(n, 1);
  else out.writeDoubleBE(n, 1);
  return out;
}

/** nil, true, false. */
export const nil = (): Buffer => Buffer.from([0xc0]);
export const bool = (b: boolean): Buffer => Buffer.from([b ? 0xc3 : 0xc2]);

/** A str of `text`'s UTF-8 bytes (or of raw bytes, valid UTF-8 or not). */
export function str(text: string | Buffer, form?: StrForm): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const n = bytes.length;
  const chosen = form ?? (n < 32 ? 'fixstr' : n < 0x100 ? 'str8' : n < 0x10000 ? 'str16' : 'str32');
  const limits: Record<StrForm, number> = { fixstr: 31, str8: 0xff, str16: 0xffff, str32: 0xffff_ffff };
  if (n > limits[chosen]) throw new RangeError(`${n} bytes do not fit ${chosen}`);
  const head =
    chosen === 'fixstr' ? Buffer.from([0xa0 | n]) : chosen === 'str8' ? Buffer.from([0xd9, n]) : chosen === 'str16' ? Buffer.from([0xda, n >> 8, n & 0xff]) : header32(0xdb, n);
  return Buffer.concat([head, bytes]);
}

/** A bin holding `bytes` (bin8 when short enough). */
export function bin(bytes: Buffer): Buffer {
  const n = bytes.length;
  const head = n < 0x100 ? Buffer.from([0xc4, n]) : n < 0x10000 ? Buffer.from([0xc5, n >> 8, n & 0xff]) : header32(0xc6, n);
  return Buffer.concat([head, bytes]);
}

/** An array of encoded `items`. */
export function array(items: readonly Buffer[], form?: ContainerForm): Buffer {
  const n = items.length;
  return Buffer.concat([sized(form ?? (n < 16 ? 'fix' : n < 0x10000 ? '16' : '32'), n, 0x90, 0xdc, 0xdd), ...items]);
}

/** A map of encoded key/value pairs, in the order given (repeats and all). */
export function map(pairs: readonly (readonly [Buffer, Buffer])[], form?: ContainerForm): Buffer {
  const n = pairs.length;
  return Buffer.concat([sized(form ?? (n < 16 ? 'fix' : n < 0x10000 ? '16' : '32'), n, 0x80, 0xde, 0xdf), ...pairs.flat()]);
}

/** An extension of `type` holding `data`: fixext 1/2/4/8/16 when the size fits one, ext8 otherwise (or when `ext8`). */
export function ext(type: number, data: Buffer, ext8 = false): Buffer {
  const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
  const fix = fixed[data.length];
  if (fix !== undefined && !ext8) return Buffer.concat([Buffer.from([fix, type & 0xff]), data]);
  const n = data.length;
  const head = n < 0x100 ? Buffer.from([0xc7, n]) : n < 0x10000 ? Buffer.from([0xc8, n >> 8, n & 0xff]) : header32(0xc9, n);
  return Buffer.concat([head, Buffer.from([type & 0xff]), data]);
}

function header32(type: number, n: number): Buffer {
  const out = Buffer.alloc(5);
  out[0] = type;
  out.writeUInt32BE(n, 1);
  return out;
}

/** The header of a map or an array of `n` in `form`. */
function sized(form: ContainerForm, n: number, fixBase: number, type16: number, type32: number): Buffer {
  if (form === 'fix') {
    if (n > 15) throw new RangeError(`${n} does not fit the fix form`);
    return Buffer.from([fixBase | n]);
  }
  if (form === '16') {
    if (n > 0xffff) throw new RangeError(`${n} does not fit 16 bits`);
    return Buffer.from([type16, n >> 8, n & 0xff]);
  }
  return header32(type32, n);
}

/**
 * `value` in the smallest forms: strings, safe integers, other numbers as
 * float64, bigints, booleans, null, Buffers (bin), arrays and plain
 * objects (maps, keys in their order).
 */
export function value(v: unknown): Buffer {
  if (v === null || v === undefined) return nil();
  if (typeof v === 'boolean') return bool(v);
  if (typeof v === 'bigint') return int(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? int(v) : float(v);
  if (typeof v === 'string') return str(v);
  if (Buffer.isBuffer(v)) return bin(v);
  if (Array.isArray(v)) return array(v.map(value));
  if (typeof v === 'object') return map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [str(k), value(x)] as const));
  throw new TypeError(`cannot encode ${typeof v}`);
}

/** `payload` behind its 4-byte big-endian length. */
export function frame(payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length, 0);
  return Buffer.concat([head, payload]);
}

/** A map from `[key, encoded value]` pairs with string keys in the smallest form. */
export function fields(pairs: readonly (readonly [string, Buffer])[], form?: ContainerForm): Buffer {
  return map(pairs.map(([k, v]) => [str(k), v] as const), form);
}
