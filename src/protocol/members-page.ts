import type { ConfigurationServer } from '../membership/raft.js';
import { MEMBERS_PAGE_BYTES, encodeResponse } from './messages.js';
import { FRAME_HEADER_BYTES, encodeFrame } from './msgpack.js';

/** `"rid"` as a MessagePack key. */
const RID_KEY = Buffer.from([0xa3, 0x72, 0x69, 0x64]);
/** `"next"` as a MessagePack key. */
const NEXT_KEY = Buffer.from([0xa4, 0x6e, 0x65, 0x78, 0x74]);
/** The most bytes a uint32 takes (`ce` and 4 bytes): a rid's worst case, which every page must leave room for. */
const MAX_UINT32_BYTES = 5;

/** One page of a `members` answer, ready to write. */
export interface EncodedMembersPage {
  /**
   * The whole frame, length prefix included, in the order to write it: the
   * head (prefix, map header, rid, fixed fields), the servers (a view of the
   * configuration's one encoding, shared by every page cut from it: never
   * copied, never to be changed), and `next` when sent.
   */
  readonly parts: readonly Buffer[];
  /** The offset of the next page, when servers are left out. */
  readonly next: number | undefined;
}

/**
 * A configuration encoded once, from which every page of a `members`
 * answer is cut for any request id (docs/wire-format.md §7): the servers
 * are encoded back to back, and a page is a map header and the rid written
 * in front of the fixed fields, then a slice of them. MessagePack map order
 * is free; this one is the order `encodeResponse` writes, so the bytes are
 * the same as if the answer had been encoded whole.
 */
export class EncodedConfiguration {
  /** The configuration's log index, as given. */
  readonly index: number | undefined;
  /** How many servers it has. */
  readonly size: number;
  /** Every server, encoded back to back. */
  readonly #servers: Buffer;
  /** Where each server starts in #servers; one more entry for the end. */
  readonly #starts: Uint32Array;
  /** The pairs after the rid up to the `members` key: `ok`, `index` when sent, the key itself. */
  readonly #fields: Buffer;
  /** Pairs in an answer without `next`, rid included. */
  readonly #pairs: number;
  /** Where each page ends, by its first offset: worked out once each. */
  readonly #ends = new Map<number, number>();

  constructor(servers: readonly ConfigurationServer[], index?: number) {
    this.index = index;
    this.size = servers.length;
    const empty = encodeResponse(index === undefined ? { rid: 0, ok: true, members: [] } : { rid: 0, ok: true, index, members: [] });
    // [length][fixmap][a3 "rid" 00][ok, index?, "members"][90]: the layout the slices below rely on.
    const ridAt = FRAME_HEADER_BYTES + 1;
    if ((empty[FRAME_HEADER_BYTES]! & 0xf0) !== 0x80 || !empty.subarray(ridAt, ridAt + RID_KEY.length).equals(RID_KEY) || empty[ridAt + RID_KEY.length] !== 0 || empty.at(-1) !== 0x90) {
      throw new Error('encodeResponse no longer writes a members answer as rid, then its other fields, then members');
    }
    this.#pairs = empty[FRAME_HEADER_BYTES]! & 0x0f;
    this.#fields = Buffer.from(empty.subarray(ridAt + RID_KEY.length + 1, empty.length - 1));
    const encoded = servers.map(({ id, address, role }) => encodeFrame({ id, address, role }).subarray(FRAME_HEADER_BYTES));
    this.#starts = new Uint32Array(encoded.length + 1);
    for (let i = 0; i < encoded.length; i++) this.#starts[i + 1] = this.#starts[i]! + encoded[i]!.length;
    this.#servers = Buffer.concat(encoded);
  }

  /**
   * The frame answering request `rid` with the servers from `offset` on
   * that fit {@link MEMBERS_PAGE_BYTES}, and `next` when some are left.
   * Throws if one server alone is too large for a page.
   */
  page(rid: number, offset: number): EncodedMembersPage {
    const end = this.#pageEnd(offset);
    const next = end < this.size ? end : undefined;
    const start = Math.min(offset, this.size);
    const count = end - start;
    const payload = this.#payloadBytes(start, end, sizedBytes(UINT, rid));
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1 + RID_KEY.length + sizedBytes(UINT, rid) + this.#fields.length + sizedBytes(ARRAY, count));
    head.writeUInt32BE(payload, 0);
    let at = FRAME_HEADER_BYTES;
    head[at++] = 0x80 | (this.#pairs + (next === undefined ? 0 : 1));
    at += RID_KEY.copy(head, at);
    at = writeSized(head, at, UINT, rid);
    at += this.#fields.copy(head, at);
    writeSized(head, at, ARRAY, count);
    const servers = this.#servers.subarray(this.#starts[start]!, this.#starts[end]!);
    if (next === undefined) return { parts: [head, servers], next };
    const tail = Buffer.allocUnsafe(NEXT_KEY.length + sizedBytes(UINT, next));
    writeSized(tail, NEXT_KEY.copy(tail, 0), UINT, next);
    return { parts: [head, servers, tail], next };
  }

  /** The end (exclusive) of the page that starts at `offset`. */
  #pageEnd(offset: number): number {
    if (offset >= this.size) return this.size;
    let end = this.#ends.get(offset);
    if (end !== undefined) return end;
    end = offset;
    // Room for the largest rid, so the page fits whatever the request's rid.
    while (end < this.size && this.#payloadBytes(offset, end + 1, MAX_UINT32_BYTES) <= MEMBERS_PAGE_BYTES) end += 1;
    if (end === offset) throw new Error(`server ${offset} of the configuration alone is larger than a members answer may be (${MEMBERS_PAGE_BYTES} bytes)`);
    this.#ends.set(offset, end);
    return end;
  }

  /** The payload of the page [start, end) for a rid of `ridBytes`. */
  #payloadBytes(start: number, end: number, ridBytes: number): number {
    const servers = this.#starts[end]! - this.#starts[start]!;
    const next = end < this.size ? NEXT_KEY.length + sizedBytes(UINT, end) : 0;
    return 1 + RID_KEY.length + ridBytes + this.#fields.length + sizedBytes(ARRAY, end - start) + servers + next;
  }
}

/** A MessagePack type whose header grows with a number: a uint, or an array's length. */
interface SizedForm {
  /** Below this, the number fits the type byte itself (`fixint`, `fixarray`). */
  readonly fixBelow: number;
  readonly fixTag: number;
  /** The 8-bit form, where the type has one. */
  readonly tag8: number | undefined;
  readonly tag16: number;
  readonly tag32: number;
}

const UINT: SizedForm = { fixBelow: 0x80, fixTag: 0x00, tag8: 0xcc, tag16: 0xcd, tag32: 0xce };
const ARRAY: SizedForm = { fixBelow: 0x10, fixTag: 0x90, tag8: undefined, tag16: 0xdc, tag32: 0xdd };

/** Bytes of the smallest form of `n` (a uint32) in `form`. */
function sizedBytes(form: SizedForm, n: number): number {
  if (n < form.fixBelow) return 1;
  if (form.tag8 !== undefined && n < 0x100) return 2;
  return n < 0x10000 ? 3 : MAX_UINT32_BYTES;
}

/** Writes the smallest form of `n` in `form` at `at`; returns where it ends. */
function writeSized(buffer: Buffer, at: number, form: SizedForm, n: number): number {
  const bytes = sizedBytes(form, n);
  if (bytes === 1) buffer[at] = form.fixTag | n;
  else if (bytes === 2) buffer.writeUInt16BE((form.tag8! << 8) | n, at);
  else if (bytes === 3) {
    buffer[at] = form.tag16;
    buffer.writeUInt16BE(n, at + 1);
  } else {
    buffer[at] = form.tag32;
    buffer.writeUInt32BE(n, at + 1);
  }
  return at + bytes;
}
