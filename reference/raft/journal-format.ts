/**
 * Reference raft engine (not part of the published API): the records of the
 * journal that `FileStorage` keeps, as bytes. Pure: no files here.
 *
 * A record is `[u32 length][u32 CRC-32 of the payload][payload]`, big
 * endian, the payload one MessagePack value (the library's codec):
 *
 * - `{ t: 'vote', term, votedFor }`: a new term, or a vote cast in it
 *   (`votedFor` null for none);
 * - `{ t: 'append', entries }`: entries after the last one;
 * - `{ t: 'truncate', from }`: the entries from index `from` on are gone.
 */
import { MembershipError } from '../../src/membership/errors.js';
import type { ServerID } from '../../src/membership/types.js';
import { FRAME_HEADER_BYTES, decodePayload, encodeFrame } from '../../src/protocol/msgpack.js';
import { MAX_RPC_FRAME_SIZE } from './limits.js';
import type { LogEntry } from './log.js';
import { parseEntry } from './messages.js';

/** One change of the durable state. */
export type JournalRecord =
  | { readonly t: 'vote'; readonly term: number; readonly votedFor: ServerID | null }
  | { readonly t: 'append'; readonly entries: readonly LogEntry[] }
  | { readonly t: 'truncate'; readonly from: number };

/** The journal is damaged before its last record: refusing to drop what follows. */
export class JournalCorruptError extends MembershipError {
  readonly code = 'ERR_RAFT_JOURNAL_CORRUPT';
}

/** Bytes before a record's payload: its length and its CRC. */
export const RECORD_HEADER_BYTES = 8;

/**
 * The largest payload a record may have: a follower appends at most one
 * AppendEntries' worth of entries at once, and a leader one entry.
 */
const MAX_RECORD_BYTES = 2 * MAX_RPC_FRAME_SIZE;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib and gzip compute it). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The bytes of `record`, header included. */
export function encodeRecord(record: JournalRecord): Buffer {
  const frame = encodeFrame(record);
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  const header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

function fail(why: string): never {
  throw new Error(why);
}

function count(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${name} is not a non-negative integer`);
  return value;
}

/** Checks a decoded payload; throws on anything that is not a record. */
function parseRecord(value: unknown): JournalRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('record is not a map');
  const fields = value as Record<string, unknown>;
  switch (fields.t) {
    case 'vote': {
      const { votedFor } = fields;
      if (votedFor !== null && (typeof votedFor !== 'string' || votedFor === '')) fail('votedFor is not an id or null');
      return { t: 'vote', term: count(fields.term, 'term'), votedFor };
    }
    case 'append':
      if (!Array.isArray(fields.entries) || fields.entries.length === 0) fail('entries is not a non-empty array');
      return { t: 'append', entries: fields.entries.map(parseEntry) };
    case 'truncate':
      return { t: 'truncate', from: count(fields.from, 'from') };
    default:
      return fail('unknown record type');
  }
}

/** What a scan of a journal found. */
export interface JournalScan {
  readonly records: JournalRecord[];
  /** Bytes of whole, valid records from the start: where the next record goes. */
  readonly validBytes: number;
  /** Why the bytes past `validBytes` were dropped, when there were any. */
  readonly tornTail?: string;
}

const allZero = (bytes: Buffer, from: number): boolean => {
  for (let i = from; i < bytes.length; i += 1) if (bytes[i] !== 0) return false;
  return true;
};

/**
 * Reads the records of a journal. A torn tail, what a crash in the middle
 * of a write leaves, is dropped: a partial last record, a last record whose
 * CRC or content is bad, or zeros where a record should start (a file
 * extended but not written). A bad record followed by anything but zeros is
 * damage no crash explains: {@link JournalCorruptError}, and nothing is
 * dropped.
 */
export function scanJournal(bytes: Buffer): JournalScan {
  const records: JournalRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const bad = (why: string, end: number): JournalScan => {
      if (end < bytes.length && !allZero(bytes, end)) {
        throw new JournalCorruptError(`journal record at byte ${offset}: ${why}, and more follows; refusing to drop it`);
      }
      return { records, validBytes: offset, tornTail: `record at byte ${offset}: ${why}` };
    };
    if (bytes.length - offset < RECORD_HEADER_BYTES) return bad('partial header', bytes.length);
    const length = bytes.readUInt32BE(offset);
    const crc = bytes.readUInt32BE(offset + 4);
    if (length === 0 || length > MAX_RECORD_BYTES) return bad(`length ${length} out of range`, offset + RECORD_HEADER_BYTES);
    const start = offset + RECORD_HEADER_BYTES;
    const end = start + length;
    if (end > bytes.length) return bad(`partial record (${bytes.length - start} of ${length} bytes)`, bytes.length);
    const payload = bytes.subarray(start, end);
    if (crc32(payload) !== crc) return bad('CRC mismatch', end);
    let record: JournalRecord;
    try {
      record = parseRecord(decodePayload(payload));
    } catch (error) {
      return bad(`not a record: ${(error as Error).message}`, end);
    }
    records.push(record);
    offset = end;
  }
  return { records, validBytes: offset };
}
