/**
 * Reference raft engine (not part of the published API): raft's durable
 * state.
 */
import type { ServerID } from '../../src/membership/types.js';
import type { LogEntry } from './log.js';

/**
 * What raft must keep across a restart: the current term, the vote cast in
 * it, and the log. `entries[i]` holds the entry of index `i + 1` (there is
 * no compaction). Changes may be buffered until `sync()`, which returns
 * once everything before it is durable: the engine calls it before it
 * answers a RequestVote or an AppendEntries, before it asks for votes, and
 * before a leader counts its own entries towards a commit.
 */
export interface RaftStorage {
  readonly currentTerm: number;
  /** The server voted for in `currentTerm`, null for none. */
  readonly votedFor: ServerID | null;
  readonly entries: readonly LogEntry[];
  /** Records a new term, or a vote cast in the current one. */
  setTermAndVote(term: number, votedFor: ServerID | null): void;
  /** Appends `entries` after the last entry, in order; their indexes follow it. */
  append(entries: readonly LogEntry[]): void;
  /** Drops the entries from index `index` on. */
  truncateFrom(index: number): void;
  /** Returns once every change so far is durable. */
  sync(): void;
}

/**
 * Storage that lives as long as the object does: every change is "durable"
 * at once. A test harness keeps it across a "kill" (`close()`) and hands it
 * to the restarted node, which then has exactly the durable state a disk
 * would have given it. Never give one storage to two live nodes. For state
 * that survives the process, see `FileStorage`.
 */
export class MemoryStorage implements RaftStorage {
  currentTerm = 0;
  votedFor: ServerID | null = null;
  readonly entries: LogEntry[] = [];

  setTermAndVote(term: number, votedFor: ServerID | null): void {
    this.currentTerm = term;
    this.votedFor = votedFor;
  }

  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) this.entries.push(entry);
  }

  truncateFrom(index: number): void {
    this.entries.length = Math.max(0, index - 1);
  }

  sync(): void {
    // Nothing to wait for: memory is all there is.
  }
}
