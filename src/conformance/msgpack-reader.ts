/**
 * A strict MessagePack reader for judging what an implementation wrote: it
 * keeps each value's form (which type byte, valid UTF-8 or not, every map
 * pair in order, repeats and all) so that the kit can check the writer's
 * rules of docs/wire-format.md §6, which a decoding library would hide.
 */

/** One decoded value, with what its bytes said about its form. */
export type Node =
  | { readonly kind: 'nil' }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: bigint; readonly type: number }
  | { readonly kind: 'float'; readonly value: number; readonly type: number }
  | { readonly kind: 'str'; readonly bytes: Buffer; readonly text: string | undefined }
  | { readonly kind: 'bin'; readonly bytes: Buffer }
  | { readonly kind: 'array'; readonly items: readonly Node[] }
  | { readonly kind: 'map'; readonly pairs: readonly (readonly [Node, Node])[] }
  | { readonly kind: 'ext'; readonly type: number; readonly data: Buffer };

/** A payload read as one value, or why it is not one. */
export type ReadResult = { readonly node: Node } | { readonly error: string };

class Cursor {
  at = 0;
  constructor(readonly bytes: Buffer) {}

  take(n: number): Buffer {
    if (this.at + n > this.bytes.length) throw new Error('the value is cut short');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  uint(n: number): number {
    return this.take(n).readUIntBE(0, n);
  }
}

// ignoreBOM: a leading U+FEFF is part of the string (§6 and §7 compare keys and values byte for byte); by default TextDecoder drops it.
const FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Reads `payload` as exactly one MessagePack value. */
export function readValue(payload: Buffer): ReadResult {
  const cursor = new Cursor(payload);
  try {
    const node = readNode(cursor);
    if (cursor.at !== payload.length) return { error: `${payload.length - cursor.at} bytes after the one value` };
    return { node };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function readNode(c: Cursor): Node {
  const type = c.take(1)[0]!;
  if (type <= 0x7f) return { kind: 'int', value: BigInt(type), type };
  if (type >= 0xe0) return { kind: 'int', value: BigInt(type - 0x100), type };
  if (type <= 0x8f) return readMap(c, type & 0x0f);
  if (type <= 0x9f) return readArray(c, type & 0x0f);
  if (type <= 0xbf) return readStr(c, type & 0x1f);
  switch (type) {
    case 0xc0:
      return { kind: 'nil' };
    case 0xc2:
    case 0xc3:
      return { kind: 'bool', value: type === 0xc3 };
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return { kind: 'bin', bytes: c.take(c.uint(1 << (type - 0xc4))) };
    case 0xc7:
    case 0xc8:
    case 0xc9: {
      const n = c.uint(1 << (type - 0xc7));
      const extType = c.take(1)[0]!;
      return { kind: 'ext', type: extType, data: c.take(n) };
    }
    case 0xca:
      return { kind: 'float', value: c.take(4).readFloatBE(0), type };
    case 0xcb:
      return { kind: 'float', value: c.take(8).readDoubleBE(0), type };
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
      return { kind: 'int', value: c.take(1 << (type - 0xcc)).reduce((v, b) => (v << 8n) | BigInt(b), 0n), type };
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3: {
      const bytes = c.take(1 << (type - 0xd0));
      const raw = bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
      return { kind: 'int', value: BigInt.asIntN(bytes.length * 8, raw), type };
    }
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8: {
      const extType = c.take(1)[0]!;
      return { kind: 'ext', type: extType, data: c.take(1 << (type - 0xd4)) };
    }
    case 0xd9:
    case 0xda:
    case 0xdb:
      return readStr(c, c.uint(1 << (type - 0xd9)));
    case 0xdc:
    case 0xdd:
      return readArray(c, c.uint(type === 0xdc ? 2 : 4));
    case 0xde:
    case 0xdf:
      return readMap(c, c.uint(type === 0xde ? 2 : 4));
    default:
      throw new Error('the type byte 0xc1, which MessagePack never uses');
  }
}

function readStr(c: Cursor, n: number): Node {
  const bytes = c.take(n);
  let text: string | undefined;
  try {
    text = FATAL.decode(bytes);
  } catch {
    text = undefined;
  }
  return { kind: 'str', bytes, text };
}

function readArray(c: Cursor, n: number): Node {
  if (n > c.bytes.length - c.at) throw new Error('the value is cut short');
  const items: Node[] = [];
  for (let i = 0; i < n; i++) items.push(readNode(c));
  return { kind: 'array', items };
}

function readMap(c: Cursor, n: number): Node {
  if (2 * n > c.bytes.length - c.at) throw new Error('the value is cut short');
  const pairs: [Node, Node][] = [];
  for (let i = 0; i < n; i++) pairs.push([readNode(c), readNode(c)]);
  return { kind: 'map', pairs };
}

/**
 * Where `node` breaks §6's rules for writers: maps with string keys, each
 * once; valid UTF-8; no extension types; maps and arrays at most 32 deep.
 */
export function writerViolations(node: Node, depth = 1): string[] {
  switch (node.kind) {
    case 'str':
      return node.text === undefined ? ['a str that is not valid UTF-8'] : [];
    case 'ext':
      return [`an extension type (${node.type})`];
    case 'array':
    case 'map': {
      // Said once, at the first level too deep.
      if (depth > 32) return ['maps and arrays nested more than 32 deep'];
      const out: string[] = [];
      if (node.kind === 'array') return out.concat(node.items.flatMap((item) => writerViolations(item, depth + 1)));
      const seen = new Set<string>();
      for (const [key, child] of node.pairs) {
        if (key.kind !== 'str') out.push(`a map key that is not a string (${key.kind})`);
        else if (key.text !== undefined) {
          if (seen.has(key.text)) out.push(`the key "${key.text}" twice in one map`);
          seen.add(key.text);
        }
        out.push(...writerViolations(key, depth + 1), ...writerViolations(child, depth + 1));
      }
      return out;
    }
    default:
      return [];
  }
}

/** The value of string key `name` in map `node` (the last one, as §6 says), or undefined. */
export function field(node: Node, name: string): Node | undefined {
  if (node.kind !== 'map') return undefined;
  let found: Node | undefined;
  for (const [key, child] of node.pairs) if (key.kind === 'str' && key.text === name) found = child;
  return found;
}

/** `node` as a plain number when it is an integer in the safe range, else undefined. */
export function safeInt(node: Node | undefined): number | undefined {
  if (node?.kind !== 'int') return undefined;
  return node.value >= BigInt(Number.MIN_SAFE_INTEGER) && node.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(node.value) : undefined;
}

/** `node` as text when it is a valid UTF-8 str, else undefined. */
export function text(node: Node | undefined): string | undefined {
  return node?.kind === 'str' ? node.text : undefined;
}

/** A short description of a node, for what the kit reports. */
export function show(node: Node | undefined): string {
  if (node === undefined) return 'nothing';
  switch (node.kind) {
    case 'nil':
      return 'nil';
    case 'bool':
      return String(node.value);
    case 'int':
      return `${node.value} (type 0x${node.type.toString(16)})`;
    case 'float':
      return `float ${node.value}`;
    case 'str':
      return node.text === undefined ? `invalid UTF-8 (${node.bytes.length} bytes)` : JSON.stringify(node.text.length > 60 ? `${node.text.slice(0, 60)}...` : node.text);
    case 'bin':
      return `bin of ${node.bytes.length} bytes`;
    case 'array':
      return `an array of ${node.items.length}`;
    case 'map':
      return `a map of ${node.pairs.length} pairs`;
    case 'ext':
      return `extension type ${node.type}`;
  }
}
