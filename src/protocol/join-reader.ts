import { ServerRole } from '../membership/types.js';
import type { JoinMessage } from './messages.js';
import { utf8String } from './msgpack-reader.js';

// The payload being read: reading is synchronous and never re-entered.
let src: Buffer = Buffer.alloc(0);
let pos = 0;
let end = 0;
const EMPTY = Buffer.alloc(0);

/** `{"type": "join", "rid"`: how every join this library (and msgpackr with the same key order) writes begins. */
const HEAD = Buffer.from([0x85, 0xa4, ...Buffer.from('type'), 0xa4, ...Buffer.from('join'), 0xa3, ...Buffer.from('rid')]);
const ID_KEY = Buffer.from([0xa2, ...Buffer.from('id')]);
const ADDRESS_KEY = Buffer.from([0xa7, ...Buffer.from('address')]);
const ROLE_KEY = Buffer.from([0xa4, ...Buffer.from('role')]);
const VOTER = Buffer.from([0xa5, ...Buffer.from('voter')]);
const NONVOTER = Buffer.from([0xa8, ...Buffer.from('nonvoter')]);

/**
 * Reads a join written as this library's client writes it — a map of
 * `type`, `rid`, `id`, `address` and `role`, in that order, with a role of
 * `voter` or `nonvoter` — straight from its bytes: no map object to build
 * and then read key by key, keys and role compared as bytes. Returns the
 * message with its fields as the general reader would read them (the same
 * string decoding), or `undefined` for anything else, which
 * `decodeRequest` then reads with the general reader and checks by every
 * rule of §6. The id and address are not checked here: `decodeRequest`
 * checks them as it checks any join's.
 */
export function readPlainJoin(payload: Buffer): JoinMessage | undefined {
  src = payload;
  pos = 0;
  end = payload.length;
  try {
    if (!skip(HEAD)) return undefined;
    const rid = uint32();
    if (rid < 0 || !skip(ID_KEY)) return undefined;
    const id = string();
    if (id === undefined || !skip(ADDRESS_KEY)) return undefined;
    const address = string();
    if (address === undefined || !skip(ROLE_KEY)) return undefined;
    const role = skip(VOTER) ? ServerRole.Voter : skip(NONVOTER) ? ServerRole.Nonvoter : undefined;
    if (role === undefined || pos !== end) return undefined;
    return { type: 'join', rid, id, address, role };
  } finally {
    src = EMPTY;
  }
}

/** Moves past `bytes` if they come next; false (not moving) otherwise. */
function skip(bytes: Buffer): boolean {
  const length = bytes.length;
  if (end - pos < length) return false;
  for (let i = 0; i < length; i++) if (src[pos + i] !== bytes[i]) return false;
  pos += length;
  return true;
}

/** An unsigned integer of up to 32 bits, in any of its forms; -1 for anything else. */
function uint32(): number {
  if (pos >= end) return -1;
  const type = src[pos]!;
  if (type < 0x80) {
    pos += 1;
    return type;
  }
  const bytes = type === 0xcc ? 1 : type === 0xcd ? 2 : type === 0xce ? 4 : 0;
  if (bytes === 0 || end - pos - 1 < bytes) return -1;
  const at = pos + 1;
  pos = at + bytes;
  if (bytes === 1) return src[at]!;
  if (bytes === 2) return (src[at]! << 8) | src[at + 1]!;
  return src[at]! * 0x100_0000 + ((src[at + 1]! << 16) | (src[at + 2]! << 8) | src[at + 3]!);
}

/** A fixstr or str 8, decoded as the general reader decodes strings; `undefined` for anything else. */
function string(): string | undefined {
  if (pos >= end) return undefined;
  const type = src[pos]!;
  let length: number;
  let start: number;
  if (type >= 0xa0 && type < 0xc0) {
    length = type & 0x1f;
    start = pos + 1;
  } else if (type === 0xd9 && end - pos >= 2) {
    length = src[pos + 1]!;
    start = pos + 2;
  } else {
    return undefined;
  }
  if (end - start < length) return undefined;
  pos = start + length;
  return utf8String(src, start, length);
}
