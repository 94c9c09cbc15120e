/**
 * The decoding floor: a server and a client that speak the membership
 * protocol's frames as a hand-written program would, with no library in the
 * way. The server reads each length-prefixed frame, decodes its MessagePack
 * join map field by field into an object (strings materialised, as raft
 * would need them), and answers `{rid, ok: true, index}` encoded by hand; the
 * client encodes each join by hand (its own rid), batches the writes of one
 * tick, decodes each response and settles the call it answers by rid.
 *
 * It validates nothing beyond what it needs to find the fields, queues
 * nothing and knows only joins: the least a server and a client that decode
 * this protocol can do per request. The pipelined target is set against it
 * (≥ 0.5× its req/s); the raw echo in `support.ts` stays for context.
 */
import type { Socket } from 'node:net';
import { dialRaw, listenRaw, type Running } from './support.js';

const HEADER = 4;
const MAX_FRAME = 64 * 1024;
/** A response frame is at most this long: header, fixmap, 3 keys, two uint32 and `true`. */
const MAX_RESPONSE = HEADER + 1 + 4 + 5 + 3 + 1 + 6 + 5;

/** A decoded join, as the floor's server keeps it. */
interface Join {
  type: string;
  rid: number;
  id: string;
  address: string;
  role: string;
}

class FloorError extends Error {}

/** Reads a MessagePack string or unsigned integer at `at`; `cursor[0]` moves past it. */
function readScalar(buf: Buffer, cursor: number[]): string | number {
  let at = cursor[0]!;
  const head = buf[at++]!;
  let length: number;
  if (head <= 0x7f) {
    cursor[0] = at;
    return head;
  }
  if ((head & 0xe0) === 0xa0) length = head & 0x1f;
  else if (head === 0xd9) length = buf[at++]!;
  else if (head === 0xda) {
    length = buf.readUInt16BE(at);
    at += 2;
  } else if (head === 0xcc) {
    cursor[0] = at + 1;
    return buf[at]!;
  } else if (head === 0xcd) {
    cursor[0] = at + 2;
    return buf.readUInt16BE(at);
  } else if (head === 0xce) {
    cursor[0] = at + 4;
    return buf.readUInt32BE(at);
  } else if (head === 0xc3) {
    cursor[0] = at;
    return 1;
  } else throw new FloorError(`unexpected type byte ${head}`);
  cursor[0] = at + length;
  return buf.toString('utf8', at, at + length);
}

/** Decodes a join map from `buf[start, end)`: the floor knows the keys by their length and first byte. */
function readJoin(buf: Buffer, start: number, end: number): Join {
  const head = buf[start]!;
  if ((head & 0xf0) !== 0x80) throw new FloorError('not a fixmap');
  const join: Join = { type: '', rid: -1, id: '', address: '', role: 'voter' };
  const cursor = [start + 1];
  for (let pairs = head & 0x0f; pairs > 0; pairs--) {
    const key = buf[cursor[0]!]!;
    if ((key & 0xe0) !== 0xa0) throw new FloorError('key is not a fixstr');
    const first = buf[cursor[0]! + 1];
    const length = key & 0x1f;
    cursor[0]! += 1 + length;
    const value = readScalar(buf, cursor);
    if (length === 3 && first === 0x72) join.rid = value as number; // rid
    else if (length === 4 && first === 0x74) join.type = value as string; // type
    else if (length === 2 && first === 0x69) join.id = value as string; // id
    else if (length === 7 && first === 0x61) join.address = value as string; // address
    else if (length === 4 && first === 0x72) join.role = value as string; // role
  }
  if (cursor[0] !== end || join.type !== 'join' || join.rid < 0) throw new FloorError('not a join');
  return join;
}

/** Writes an unsigned integer in its smallest MessagePack form; returns the new offset. */
function writeUint(buf: Buffer, at: number, value: number): number {
  if (value <= 0x7f) buf[at++] = value;
  else if (value <= 0xff) {
    buf[at++] = 0xcc;
    buf[at++] = value;
  } else if (value <= 0xffff) {
    buf[at++] = 0xcd;
    buf.writeUInt16BE(value, at);
    at += 2;
  } else {
    buf[at++] = 0xce;
    buf.writeUInt32BE(value, at);
    at += 4;
  }
  return at;
}

const KEY_RID = Buffer.from([0xa3, 0x72, 0x69, 0x64]);
const KEY_OK_TRUE = Buffer.from([0xa2, 0x6f, 0x6b, 0xc3]);
const KEY_INDEX = Buffer.from([0xa5, 0x69, 0x6e, 0x64, 0x65, 0x78]);

/** Writes the frame `{rid, ok: true, index}` at `at`; returns its end. */
function writeSuccess(buf: Buffer, at: number, rid: number, index: number): number {
  const start = at;
  at += HEADER;
  buf[at++] = 0x83;
  at += KEY_RID.copy(buf, at);
  at = writeUint(buf, at, rid);
  at += KEY_OK_TRUE.copy(buf, at);
  at += KEY_INDEX.copy(buf, at);
  at = writeUint(buf, at, index);
  buf.writeUInt32BE(at - start - HEADER, start);
  return at;
}

/** Splits a byte stream into frames, handing each payload's bounds in `buf` to `onFrame`. */
class Frames {
  #rest: Buffer | undefined;

  /** Returns false on a frame no peer of the floor sends (empty or too large). */
  push(chunk: Buffer, onFrame: (buf: Buffer, start: number, end: number) => void): boolean {
    const buf = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= HEADER) {
      const length = buf.readUInt32BE(at);
      if (length === 0 || length > MAX_FRAME) return false;
      if (buf.length - at - HEADER < length) break;
      onFrame(buf, at + HEADER, at + HEADER + length);
      at += HEADER + length;
    }
    this.#rest = at < buf.length ? buf.subarray(at) : undefined;
    return true;
  }
}

/** The floor's server: decodes every join of a read, answers them all in one write. */
export function decodingResponder(): Promise<Running> {
  let index = 0;
  return listenRaw((socket) => {
    const frames = new Frames();
    socket.on('data', (chunk: Buffer) => {
      // At most one response per 16 request bytes: a join frame is longer.
      const out = Buffer.allocUnsafe(Math.ceil(chunk.length / 16) * MAX_RESPONSE + MAX_RESPONSE);
      let end = 0;
      try {
        const ok = frames.push(chunk, (buf, start, stop) => {
          const join = readJoin(buf, start, stop);
          end = writeSuccess(out, end, join.rid, ++index);
        });
        if (!ok) throw new FloorError('bad frame length');
      } catch {
        socket.destroy();
        return;
      }
      if (end > 0) socket.write(out.subarray(0, end));
    });
  });
}

/** Where requests of one tick are written, one slab after another. */
const SLAB_BYTES = 64 * 1024;

/**
 * The floor's client: encodes a join (its own rid) by hand into a shared
 * slab, sends the joins of one tick in one write, and settles each call
 * when the response with its rid arrives.
 */
export class DecodingClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, () => void>();
  readonly #frames = new Frames();
  readonly #id: string;
  readonly #address: string;
  #slab = Buffer.allocUnsafe(SLAB_BYTES);
  #slabStart = 0;
  #slabEnd = 0;
  #scheduled = false;
  #nextRid = 1;

  private constructor(socket: Socket, id: string, address: string) {
    this.#socket = socket;
    this.#id = id;
    this.#address = address;
    socket.on('data', (chunk: Buffer) => {
      const ok = this.#frames.push(chunk, (buf, start, end) => this.#onResponse(buf, start, end));
      if (!ok) socket.destroy();
    });
  }

  /** Dials the floor's server; `id` and `address` are what every join carries. */
  static async connect(server: string, id: string, address: string): Promise<DecodingClient> {
    return new DecodingClient(await dialRaw(server), id, address);
  }

  /** Sends one join; resolves when its response came back. */
  send(): Promise<void> {
    const rid = this.#nextRid;
    this.#nextRid = rid === 0xffff_ffff ? 0 : rid + 1;
    if (SLAB_BYTES - this.#slabEnd < 512) {
      this.#flush();
      this.#slab = Buffer.allocUnsafe(SLAB_BYTES);
      this.#slabStart = 0;
      this.#slabEnd = 0;
    }
    this.#slabEnd = this.#writeJoin(this.#slab, this.#slabEnd, rid);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flushLater);
    }
    return new Promise((resolve) => this.#pending.set(rid, resolve));
  }

  close(): void {
    this.#socket.destroy();
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.#flush();
  };

  #flush(): void {
    if (this.#slabEnd === this.#slabStart) return;
    this.#socket.write(this.#slab.subarray(this.#slabStart, this.#slabEnd));
    this.#slabStart = this.#slabEnd;
  }

  /** `{type: "join", rid, id, address, role: "voter"}` as one frame at `at`. */
  #writeJoin(buf: Buffer, at: number, rid: number): number {
    const start = at;
    at += HEADER;
    buf[at++] = 0x85;
    at += JOIN_TYPE.copy(buf, at);
    at += KEY_RID.copy(buf, at);
    at = writeUint(buf, at, rid);
    at += KEY_ID.copy(buf, at);
    at = writeShortString(buf, at, this.#id);
    at += KEY_ADDRESS.copy(buf, at);
    at = writeShortString(buf, at, this.#address);
    at += ROLE_VOTER.copy(buf, at);
    buf.writeUInt32BE(at - start - HEADER, start);
    return at;
  }

  #onResponse(buf: Buffer, start: number, end: number): void {
    const head = buf[start]!;
    if ((head & 0xf0) !== 0x80) throw new FloorError('response is not a fixmap');
    const cursor = [start + 1];
    let rid = -1;
    for (let pairs = head & 0x0f; pairs > 0; pairs--) {
      const key = buf[cursor[0]!]!;
      const first = buf[cursor[0]! + 1];
      cursor[0]! += 1 + (key & 0x1f);
      const value = readScalar(buf, cursor);
      if ((key & 0x1f) === 3 && first === 0x72) rid = value as number;
    }
    if (cursor[0] !== end) throw new FloorError('trailing bytes in a response');
    const settle = this.#pending.get(rid);
    if (!settle) return;
    this.#pending.delete(rid);
    settle();
  }
}

const JOIN_TYPE = Buffer.from([0xa4, ...Buffer.from('type'), 0xa4, ...Buffer.from('join')]);
const KEY_ID = Buffer.from([0xa2, ...Buffer.from('id')]);
const KEY_ADDRESS = Buffer.from([0xa7, ...Buffer.from('address')]);
const ROLE_VOTER = Buffer.from([0xa4, ...Buffer.from('role'), 0xa5, ...Buffer.from('voter')]);

/** A string of under 32 bytes in UTF-8 as a fixstr (the floor's id and address are short), encoded on each call. */
function writeShortString(buf: Buffer, at: number, text: string): number {
  const length = buf.write(text, at + 1, 'utf8');
  if (length > 31) throw new FloorError('the floor writes short strings only');
  buf[at] = 0xa0 | length;
  return at + 1 + length;
}
