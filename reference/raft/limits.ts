/**
 * Reference raft engine (not part of the published API): how much the
 * engine sends and reads at once, so that what a peer can make it hold is
 * bounded.
 */
import { MembershipError } from '../../src/membership/errors.js';
import type { LogEntry } from './log.js';
import { encodedEntry } from './rpc-encoding.js';

/** The most entries one AppendEntries carries. */
export const MAX_BATCH_ENTRIES = 256;

/**
 * The most bytes of entries one AppendEntries carries (etcd's
 * `MaxSizePerMsg` default). A batch always holds at least one entry, so no
 * entry may be larger: `apply` and configuration changes refuse one that is.
 */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** The largest entry the log accepts, encoded. */
export const MAX_ENTRY_BYTES = MAX_BATCH_BYTES;

/**
 * Room in a request frame for everything but the entries: the type, terms
 * and indexes, and the leader's id and address (at most 1,024 characters
 * each, so at most 3 KiB each in UTF-8).
 */
const ENVELOPE_BYTES = 64 * 1024;

/** The largest request frame read from a peer: a full batch and its envelope. */
export const MAX_RPC_FRAME_SIZE = MAX_BATCH_BYTES + ENVELOPE_BYTES;

/** The largest response frame read from a peer: responses hold a few numbers and flags. */
export const MAX_RESPONSE_FRAME_SIZE = 4 * 1024;

/** An entry given to `apply` is larger than {@link MAX_ENTRY_BYTES}: nothing was appended. */
export class EntryTooLargeError extends MembershipError {
  readonly code = 'ERR_RAFT_ENTRY_TOO_LARGE';
}

/** The encoded size of `entry` (encoded once per entry object, for every AppendEntries that carries it). */
export function entryBytes(entry: LogEntry): number {
  return encodedEntry(entry).length;
}

/** The longest run of `entries` that fits one AppendEntries: at least one entry, then up to the count and byte limits. */
export function batchLength(entries: readonly LogEntry[]): number {
  let bytes = 0;
  let count = 0;
  for (const entry of entries) {
    if (count === MAX_BATCH_ENTRIES) break;
    bytes += entryBytes(entry);
    if (count > 0 && bytes > MAX_BATCH_BYTES) break;
    count += 1;
  }
  return count;
}
