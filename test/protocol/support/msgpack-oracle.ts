import fc from 'fast-check';
import { C1, Unpackr } from 'msgpackr';
import { MAX_NESTING_DEPTH, MalformedFrameError } from '../../../src/protocol/index.js';

// Test support for the MessagePack reader and writer: msgpackr, as the
// protocol used it before it had a reader of its own (maps read as `Map`s,
// then walked into plain objects), is the oracle they are compared with;
// and a MessagePack writer that can put any value in any of its valid
// encodings (map16 where fixmap would do, uint32 for a small integer,
// repeated and non-string keys, extension types...), so that both readers
// see what no well-behaved writer sends.

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, moreTypes: false, int64AsType: 'number' });

/** The protocol's decoding before its own reader: msgpackr, then a walk that refuses what §6 calls invalid. */
export function oracleDecode(payload: Buffer): unknown {
  let value: unknown;
  try {
    value = unpackr.unpack(payload);
  } catch (cause) {
    throw new MalformedFrameError(`payload is not one MessagePack value: ${(cause as Error).message}`, { cause });
  }
  return toPlain(value, 1);
}

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
  if (value === C1) throw new MalformedFrameError('payload holds the type byte 0xc1');
  const isMap = value instanceof Map;
  if (!isMap && !Array.isArray(value)) throw new MalformedFrameError('payload holds an extension type');
  if (depth > MAX_NESTING_DEPTH) throw new MalformedFrameError(`payload nests maps and arrays more than ${MAX_NESTING_DEPTH} deep`);
  if (!isMap) {
    for (let i = 0; i < value.length; i++) value[i] = toPlain(value[i], depth + 1);
    return value;
  }
  const map: Record<string, unknown> = {};
  for (const [key, child] of value as Map<unknown, unknown>) {
    const plain = toPlain(child, depth + 1);
    if (typeof key !== 'string') toPlain(key, depth + 1);
    else if (key !== '__proto__') map[key] = plain;
  }
  return map;
}

/** A MessagePack value as the test writer writes it: the form is chosen, not the smallest. */
export type Node =
  | { readonly kind: 'nil' | 'true' | 'false' | 'c1' }
  | { readonly kind: 'int'; readonly value: number; readonly form: number }
  | { readonly kind: 'int64'; readonly value: bigint; readonly unsigned: boolean }
  | { readonly kind: 'float32' | 'float64'; readonly value: number }
  | { readonly kind: 'str' | 'bin'; readonly bytes: Uint8Array; readonly form: number }
  | { readonly kind: 'ext'; readonly type: number; readonly data: Uint8Array; readonly form: number }
  | { readonly kind: 'array'; readonly items: readonly Node[]; readonly form: number }
  | { readonly kind: 'map'; readonly pairs: readonly (readonly [Node, Node])[]; readonly form: number };

const be = (value: number | bigint, bytes: number): number[] => {
  const out: number[] = [];
  let v = BigInt.asUintN(bytes * 8, BigInt(value));
  for (let i = 0; i < bytes; i++) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
};

/** A length header: the smallest of `forms` (fix, 8, 16, 32-bit) at or after `form` that holds `length`. */
function header(length: number, form: number, forms: readonly (number | undefined)[], fixBase?: number, fixMax = 0): number[] {
  const limits = [fixMax, 0xff, 0xffff, 0xffff_ffff];
  for (let f = form; f < 4; f++) {
    const type = forms[f];
    if (type === undefined || length > limits[f]!) continue;
    if (f === 0) return [fixBase! | length];
    return [type, ...be(length, 2 ** (f - 1))];
  }
  throw new Error('no form holds this length');
}

/** The bytes of `node`. */
export function write(node: Node): number[] {
  switch (node.kind) {
    case 'nil':
      return [0xc0];
    case 'true':
      return [0xc3];
    case 'false':
      return [0xc2];
    case 'c1':
      return [0xc1];
    case 'int': {
      const { value } = node;
      // forms: 0 fixint, 1 8-bit, 2 16-bit, 3 32-bit; unsigned types for >= 0
      for (let f = node.form; f < 4; f++) {
        if (value >= 0) {
          if (f === 0 && value < 0x80) return [value];
          if (f > 0 && value < 2 ** (8 * 2 ** (f - 1))) return [[0xcc, 0xcd, 0xce][f - 1]!, ...be(value, 2 ** (f - 1))];
        } else {
          if (f === 0 && value >= -32) return [0x100 + value];
          if (f > 0 && value >= -(2 ** (8 * 2 ** (f - 1) - 1))) return [[0xd0, 0xd1, 0xd2][f - 1]!, ...be(value, 2 ** (f - 1))];
        }
      }
      throw new Error(`no form for ${value}`);
    }
    case 'int64':
      return [node.unsigned ? 0xcf : 0xd3, ...be(node.value, 8)];
    case 'float32': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(node.value);
      return [0xca, ...b];
    }
    case 'float64': {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(node.value);
      return [0xcb, ...b];
    }
    case 'str':
      return [...header(node.bytes.length, node.form, [0xa0, 0xd9, 0xda, 0xdb], 0xa0, 31), ...node.bytes];
    case 'bin':
      return [...header(node.bytes.length, Math.max(1, node.form), [undefined, 0xc4, 0xc5, 0xc6]), ...node.bytes];
    case 'ext': {
      const fixed = [1, 2, 4, 8, 16].indexOf(node.data.length);
      if (node.form === 0 && fixed >= 0) return [0xd4 + fixed, node.type, ...node.data];
      return [...header(node.data.length, Math.max(1, node.form), [undefined, 0xc7, 0xc8, 0xc9]), node.type, ...node.data];
    }
    case 'array':
      return [...header(node.items.length, node.form, [0x90, undefined, 0xdc, 0xdd], 0x90, 15), ...node.items.flatMap(write)];
    case 'map':
      return [...header(node.pairs.length, node.form, [0x80, undefined, 0xde, 0xdf], 0x80, 15), ...node.pairs.flatMap(([k, v]) => [...write(k), ...write(v)])];
  }
}

const form = fc.nat({ max: 3 });
const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
/** Keys the protocol uses, so that maps often repeat one. */
const knownKey = fc.constantFrom('type', 'rid', 'id', 'address', 'role', 'ok', 'index', 'members', '__proto__', 'constructor', '1', '');

const scalar: fc.Arbitrary<Node> = fc.oneof(
  fc.constantFrom<Node>({ kind: 'nil' }, { kind: 'true' }, { kind: 'false' }),
  fc.record({ kind: fc.constant('int' as const), value: fc.oneof(fc.integer({ min: -40, max: 300 }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 })), form }),
  fc.record({ kind: fc.constant('int64' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), unsigned: fc.constant(true) }),
  fc.record({ kind: fc.constant('int64' as const), value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), unsigned: fc.constant(false) }),
  fc.record({ kind: fc.constant('float32' as const), value: fc.float() }),
  fc.record({ kind: fc.constant('float64' as const), value: fc.double() }),
  fc.record({ kind: fc.constant('str' as const), bytes: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), knownKey, fc.string({ maxLength: 300 })).map(utf8), form }),
  fc.record({ kind: fc.constant('bin' as const), bytes: fc.uint8Array({ maxLength: 40 }), form }),
);

/** Any valid MessagePack value (no extension type, no c1, nested at most `depth` deep). */
export function validNode(depth = 6): fc.Arbitrary<Node> {
  const { node } = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true, maxDepth: depth },
      scalar,
      fc.record({ kind: fc.constant('array' as const), items: fc.array(tie('node'), { maxLength: 6 }), form }),
      fc.record({
        kind: fc.constant('map' as const),
        pairs: fc.array(fc.tuple(fc.oneof({ arbitrary: knownKey.map((k): Node => ({ kind: 'str', bytes: utf8(k), form: 0 })), weight: 3 }, tie('node')), tie('node')), { maxLength: 6 }),
        form,
      }),
    ),
  }));
  return node;
}

/** A valid value with something §6 calls invalid put somewhere in it: an extension type, c1, or nesting past the limit. */
export const invalidNode: fc.Arbitrary<Node> = fc
  .tuple(
    validNode(3),
    fc.oneof(
      fc.record({ kind: fc.constant('ext' as const), type: fc.integer({ min: -128, max: 127 }).map((t) => t & 0xff), data: fc.uint8Array({ maxLength: 20 }), form: fc.nat({ max: 3 }) }),
      fc.constant<Node>({ kind: 'c1' }),
      fc.integer({ min: MAX_NESTING_DEPTH, max: MAX_NESTING_DEPTH + 3 }).map((n) => nest(n, { kind: 'nil' })),
    ),
    fc.nat(),
    fc.boolean(),
  )
  .map(([outer, bad, at, asKey]) => plant(outer, bad, at, asKey));

/** `inner` inside `levels` one-element arrays. */
function nest(levels: number, inner: Node): Node {
  let node = inner;
  for (let i = 0; i < levels; i++) node = { kind: 'array', items: [node], form: 0 };
  return node;
}

/** Puts `bad` in `outer`: as an array element or map key or value, chosen by `at`; at the top when there is no room. */
function plant(outer: Node, bad: Node, at: number, asKey: boolean): Node {
  const wrap = (node: Node): Node => ({ kind: 'map', pairs: [[{ kind: 'str', bytes: utf8('x'), form: 0 }, node]], form: 0 });
  if (outer.kind === 'array' && outer.items.length > 0) {
    const i = at % outer.items.length;
    return { ...outer, items: outer.items.map((item, k) => (k === i ? plant(item, bad, Math.floor(at / 7), asKey) : item)) };
  }
  if (outer.kind === 'map' && outer.pairs.length > 0) {
    const i = at % outer.pairs.length;
    return {
      ...outer,
      pairs: outer.pairs.map(([k, v], n): [Node, Node] => (n !== i ? [k, v] : asKey ? [bad, v] : [k, plant(v, bad, Math.floor(at / 7), asKey)])),
    };
  }
  return wrap(bad);
}

/** Whether a map somewhere in `node` has the same string key twice. */
export function repeatsAKey(node: Node): boolean {
  if (node.kind === 'array') return node.items.some(repeatsAKey);
  if (node.kind !== 'map') return false;
  const keys = node.pairs.map(([k]) => mapKeyOf(k)).filter((k) => k !== undefined);
  return new Set(keys).size < keys.length || node.pairs.some(([k, v]) => repeatsAKey(k) || repeatsAKey(v));
}

/**
 * The key `k` is to msgpackr's `Map`, which keeps one value per key: equal
 * strings, and equal scalars too (`true` twice, `1` as fixint and as uint8).
 * `undefined` for a key that equals no other (a map, an array, a bin: each
 * a new object) or that cannot be read on its own.
 */
function mapKeyOf(k: Node): string | undefined {
  if (k.kind === 'str') return `str:${Buffer.from((k as { bytes: Uint8Array }).bytes).toString('hex')}`;
  if (k.kind === 'map' || k.kind === 'array') return undefined;
  try {
    const value = oracleDecode(Buffer.from(write(k)));
    return typeof value === 'object' && value !== null ? undefined : `${typeof value}:${String(value)}`;
  } catch {
    return undefined;
  }
}

/** What {@link scan} saw in a payload, as far as it could read it. */
export interface Scan {
  /** A map has the same string key twice. */
  repeatedKey: boolean;
  /** An extension type or c1 where a value (or key) starts. */
  invalidType: boolean;
}

/** Walks the MessagePack in `bytes` as far as it can be read, noting what msgpackr and §6 see differently. */
export function scan(bytes: Uint8Array): Scan {
  let at = 0;
  const seen: Scan = { repeatedKey: false, invalidType: false };
  const take = (n: number): Uint8Array => {
    if (at + n > bytes.length) throw new Error('short');
    at += n;
    return bytes.subarray(at - n, at);
  };
  const uint = (n: number): number => take(n).reduce((v, b) => v * 256 + b, 0);
  /** Skips one value; returns its bytes' hex when it is a string. */
  const skip = (depth: number): string | undefined => {
    if (depth > 40) throw new Error('deep');
    const t = take(1)[0]!;
    const str = (n: number): string => Buffer.from(take(n)).toString('hex');
    const map = (n: number): undefined => {
      const keys = new Set<string>();
      for (let i = 0; i < n; i++) {
        const key = skip(depth + 1);
        if (key !== undefined) {
          if (keys.has(key)) seen.repeatedKey = true;
          keys.add(key);
        }
        skip(depth + 1);
      }
      return undefined;
    };
    const array = (n: number): undefined => {
      for (let i = 0; i < n; i++) skip(depth + 1);
      return undefined;
    };
    if (t < 0x80 || t >= 0xe0) return undefined;
    if (t < 0x90) return map(t & 0x0f);
    if (t < 0xa0) return array(t & 0x0f);
    if (t < 0xc0) return str(t & 0x1f);
    const fixed: Record<number, number> = { 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17 };
    if (t === 0xc1 || (t >= 0xc7 && t <= 0xc9) || (t >= 0xd4 && t <= 0xd8)) seen.invalidType = true;
    if (fixed[t] !== undefined) {
      take(fixed[t]!);
      return undefined;
    }
    switch (t) {
      case 0xd9:
        return str(uint(1));
      case 0xda:
        return str(uint(2));
      case 0xdb:
        return str(uint(4));
      case 0xc4:
      case 0xc5:
      case 0xc6:
        take(uint(2 ** (t - 0xc4)));
        return undefined;
      case 0xc7:
      case 0xc8:
      case 0xc9:
        take(uint(2 ** (t - 0xc7)) + 1);
        return undefined;
      case 0xdc:
        return array(uint(2));
      case 0xdd:
        return array(uint(4));
      case 0xde:
        return map(uint(2));
      case 0xdf:
        return map(uint(4));
      default:
        return undefined; // nil, booleans, c1
    }
  };
  try {
    skip(0);
  } catch {
    // unreadable from here on: what was seen counts
  }
  return seen;
}
