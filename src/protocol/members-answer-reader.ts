import type { ConfigurationServer } from '../membership/raft.js';
import { ServerRole } from '../membership/types.js';
import { parseAddress } from './address-cache.js';
import { MAX_SERVER_ID_BYTES, type MembersResponse } from './messages.js';
import { utf8String } from './msgpack-reader.js';

/** Pages of a configuration remembered, for the entries of the next answers. */
const PAGES_REMEMBERED = 16;

/** A page read before: its entries' bytes back to back, where each ends, and what each was read as. */
interface PageMemory {
  readonly bytes: Buffer;
  readonly ends: Uint32Array;
  readonly servers: readonly ConfigurationServer[];
}

// The payload being read: reading is synchronous and never re-entered.
let src: Buffer = Buffer.alloc(0);
let pos = 0;
let end = 0;
const EMPTY = Buffer.alloc(0);

/** Why reading stopped: not a plain `members` answer; `decodeResponse` reads it, and says what is wrong if anything is. */
const NOT_PLAIN = Symbol('not a plain members answer');

/**
 * Reads answers to `members` requests (docs/wire-format.md §7) straight
 * from their bytes into what `decodeResponse(payload, 'members')` returns
 * for them: no map per server to be checked and copied afterwards, keys
 * compared as bytes, roles as the two constant strings, and each server
 * checked as it is read.
 *
 * It also remembers the last pages it read: a server whose bytes are the
 * same as the same server's in a page read before (a configuration read
 * again, as a monitor polls it) is the same, already checked, frozen
 * object, found by comparing some 30 bytes instead of reading and checking
 * them again.
 *
 * It reads the answers this library's servers send, and every other one
 * that holds only the answer's own keys (`rid`, `ok`, `index`, `members`,
 * `next`; a server's `id`, `address`, `role`) in their usual types; for
 * anything else (an unknown or repeated key, a float index, an error
 * answer, a value that is invalid) it returns `undefined`, and the caller
 * decodes the payload with `decodeResponse`, which applies every rule of
 * §6 and §7 and says what is wrong.
 */
export class MembersAnswerReader {
  readonly #pages: PageMemory[] = [];

  /** The `members` answer in `payload`, or `undefined` (see the class). */
  read(payload: Buffer): MembersResponse | undefined {
    src = payload;
    pos = 0;
    end = payload.length;
    try {
      return this.#answer();
    } catch (err) {
      if (err === NOT_PLAIN) return undefined;
      throw err;
    } finally {
      src = EMPTY;
    }
  }

  #answer(): MembersResponse {
    const pairs = mapLength();
    let rid: number | undefined;
    let ok = false;
    let index: number | undefined;
    let members: ConfigurationServer[] | undefined;
    let next: number | undefined;
    let seen = 0;
    for (let i = 0; i < pairs; i++) {
      const key = answerKey();
      if (seen & key) throw NOT_PLAIN;
      seen |= key;
      if (key === RID) rid = uint32();
      else if (key === OK) ok = byte() === 0xc3;
      else if (key === INDEX) index = indexValue();
      else if (key === MEMBERS) members = this.#servers();
      else next = src[pos] === 0xc0 ? (pos++, undefined) : uint32();
    }
    if (pos !== end || rid === undefined || !ok || members === undefined) throw NOT_PLAIN;
    // The shape decodeResponse gives: rid, ok, index when known, members, next when given.
    if (index === undefined) return next === undefined ? { rid, ok: true, members } : { rid, ok: true, members, next };
    return next === undefined ? { rid, ok: true, index, members } : { rid, ok: true, index, members, next };
  }

  /** The `members` array: each server the same object as in a page read before when its bytes are the same. */
  #servers(): ConfigurationServer[] {
    const count = arrayLength();
    // Every server takes a byte at least: a count the payload cannot hold is not read.
    if (count > end - pos) throw NOT_PLAIN;
    const from = pos;
    const before = count > 0 ? this.#pageStartingLike(from) : undefined;
    if (before !== undefined && before.servers.length === count) {
      // The whole page as before (one comparison, in native code): all of it is.
      const length = before.bytes.length;
      if (end - from >= length && src.compare(before.bytes, 0, length, from, from + length) === 0) {
        pos = from + length;
        return before.servers.slice();
      }
    }
    const servers = new Array<ConfigurationServer>(count);
    const ends = new Uint32Array(count);
    let read = 0;
    for (let i = 0; i < count; i++) {
      if (before !== undefined && i < before.servers.length && sameBytes(before, i, pos)) {
        servers[i] = before.servers[i]!;
        pos += before.ends[i]! - (i === 0 ? 0 : before.ends[i - 1]!);
      } else {
        servers[i] = server();
        read++;
      }
      ends[i] = pos - from;
    }
    if (read > 0) this.#remember({ bytes: Buffer.from(src.subarray(from, pos)), ends, servers });
    return servers;
  }

  /** The page read before whose first server's bytes are those at `at`. */
  #pageStartingLike(at: number): PageMemory | undefined {
    for (const page of this.#pages) if (page.servers.length > 0 && sameBytes(page, 0, at)) return page;
    return undefined;
  }

  #remember(page: PageMemory): void {
    const pages = this.#pages;
    if (page.servers.length === 0) return;
    // The page it replaces, if it is a new version of one, goes.
    for (let i = 0; i < pages.length; i++) {
      if (sameBytes(pages[i]!, 0, 0, page.bytes)) {
        pages[i] = page;
        return;
      }
    }
    if (pages.length >= PAGES_REMEMBERED) pages.shift();
    pages.push(page);
  }
}

/** Whether the bytes of server `i` of `page` are at `at` in `bytes` (the payload by default). */
function sameBytes(page: PageMemory, i: number, at: number, bytes: Buffer = src): boolean {
  const start = i === 0 ? 0 : page.ends[i - 1]!;
  const length = page.ends[i]! - start;
  if (at + length > (bytes === src ? end : bytes.length)) return false;
  const known = page.bytes;
  for (let k = 0; k < length; k++) if (known[start + k] !== bytes[at + k]) return false;
  return true;
}

// The answer's keys, as bits.
const RID = 1;
const OK = 2;
const INDEX = 4;
const MEMBERS = 8;
const NEXT = 16;

function byte(): number {
  if (pos >= end) throw NOT_PLAIN;
  return src[pos++]!;
}

/** A key (a fixstr): where its bytes start, and how many; anything else is not a plain answer. */
function key(): number {
  const type = byte();
  if ((type & 0xe0) !== 0xa0) throw NOT_PLAIN;
  const length = type & 0x1f;
  if (end - pos < length) throw NOT_PLAIN;
  pos += length;
  return length;
}

/** Whether the key just read, `length` bytes, is `name` (ASCII). */
function keyIs(length: number, name: string): boolean {
  if (length !== name.length) return false;
  const start = pos - length;
  for (let i = 0; i < length; i++) if (src[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

function answerKey(): number {
  const length = key();
  if (keyIs(length, 'rid')) return RID;
  if (keyIs(length, 'ok')) return OK;
  if (keyIs(length, 'index')) return INDEX;
  if (keyIs(length, 'members')) return MEMBERS;
  if (keyIs(length, 'next')) return NEXT;
  throw NOT_PLAIN;
}

/** An unsigned integer of up to 32 bits. */
function uint32(): number {
  const type = byte();
  if (type < 0x80) return type;
  if (type === 0xcc) return bigEndian(1);
  if (type === 0xcd) return bigEndian(2);
  if (type === 0xce) return bigEndian(4);
  throw NOT_PLAIN;
}

function bigEndian(bytes: 1 | 2 | 4): number {
  if (end - pos < bytes) throw NOT_PLAIN;
  let value = 0;
  for (let i = 0; i < bytes; i++) value = value * 256 + src[pos++]!;
  return value;
}

/** The configuration's index: nil, or an integer (one that is negative or past 2^53 - 1 reads as none, as in decodeResponse). */
function indexValue(): number | undefined {
  if (src[pos] === 0xc0) {
    pos++;
    return undefined;
  }
  const type = src[pos];
  if (type === 0xcf || type === 0xd3) {
    // 64 bits, unsigned or signed (how a writer sends a BigInt): as the
    // MessagePack reader reads them, then as decodeResponse keeps them.
    pos++;
    const high = bigEndian(4);
    const value = (type === 0xd3 ? high | 0 : high) * 2 ** 32 + bigEndian(4);
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  }
  return uint32();
}

/** A map's or an array's length, from its header: `fix` is the fixmap or fixarray base, `big` the 16-bit form (the 32-bit one follows it). */
function containerLength(fix: number, big: number): number {
  const type = byte();
  if ((type & 0xf0) === fix) return type & 0x0f;
  if (type === big) return bigEndian(2);
  if (type === big + 1) return bigEndian(4);
  throw NOT_PLAIN;
}

const mapLength = (): number => containerLength(0x80, 0xde);
const arrayLength = (): number => containerLength(0x90, 0xdc);

/** A string's length in bytes, from its header. */
function stringLength(): number {
  const type = byte();
  if ((type & 0xe0) === 0xa0) return type & 0x1f;
  if (type === 0xd9) return bigEndian(1);
  if (type === 0xda) return bigEndian(2);
  if (type === 0xdb) return bigEndian(4);
  throw NOT_PLAIN;
}

function string(): string {
  const length = stringLength();
  if (end - pos < length) throw NOT_PLAIN;
  const text = utf8String(src, pos, length);
  pos += length;
  return text;
}

/** A role: the two constant strings, compared as bytes; nil reads as a voter. */
function role(): ServerRole {
  if (src[pos] === 0xc0) {
    pos++;
    return ServerRole.Voter;
  }
  const length = stringLength();
  const text = length === 5 ? ServerRole.Voter : length === 8 ? ServerRole.Nonvoter : undefined;
  if (text === undefined || end - pos < length) throw NOT_PLAIN;
  for (let i = 0; i < length; i++) if (src[pos + i] !== text.charCodeAt(i)) throw NOT_PLAIN;
  pos += length;
  return text;
}

/** One server, checked as decodeResponse checks it. */
function server(): ConfigurationServer {
  const pairs = mapLength();
  let id: string | undefined;
  let address: string | undefined;
  let serverRole: ServerRole | undefined;
  for (let i = 0; i < pairs; i++) {
    const length = key();
    if (id === undefined && keyIs(length, 'id')) id = string();
    else if (address === undefined && keyIs(length, 'address')) address = string();
    else if (serverRole === undefined && keyIs(length, 'role')) serverRole = role();
    else throw NOT_PLAIN;
  }
  if (id === undefined || id.length === 0 || address === undefined) throw NOT_PLAIN;
  // No string of at most 64 units is over 256 bytes in UTF-8.
  if (id.length > MAX_SERVER_ID_BYTES / 4 && Buffer.byteLength(id, 'utf8') > MAX_SERVER_ID_BYTES) throw NOT_PLAIN;
  try {
    parseAddress(address);
  } catch {
    throw NOT_PLAIN;
  }
  // Shared by every answer that has these bytes again: frozen, so that no caller changes it for the others.
  return Object.freeze({ id, address, role: serverRole ?? ServerRole.Voter });
}
