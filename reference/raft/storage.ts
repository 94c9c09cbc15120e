/**
 * Reference raft engine (not part of the published API): raft's durable
 * state.
 */
import type { ServerID } from '../../src/membership/types.js';
import type { LogEntry } from './log.js';

/**
 * What raft must keep across a restart: the current term, the vote cast in
 * it, and the log. The engine mutates it in place; `entries[i]` holds the
 * entry of index `i + 1` (there is no compaction).
 */
export interface RaftStorage {
  currentTerm: number;
  votedFor: ServerID | null;
  readonly entries: LogEntry[];
}

/**
 * Storage that lives as long as the object does. A test harness keeps it
 * across a "kill" (`close()`) and hands it to the restarted node, which then
 * has exactly the durable state a disk would have given it. Never give one
 * storage to two live nodes.
 */
export class MemoryStorage implements RaftStorage {
  currentTerm = 0;
  votedFor: ServerID | null = null;
  readonly entries: LogEntry[] = [];
}
