/**
 * Reference raft engine (not part of the published API): the replicated log
 * as an index-based view over {@link RaftStorage}.
 */
import type { ConfigurationServer } from '../../src/membership/raft.js';
import { EMPTY_CONFIGURATION, type Configuration } from './configuration.js';
import type { RaftStorage } from './storage.js';

/** What a log entry carries. */
export const EntryKind = {
  /** A new leader's first entry: commits everything before it (§5.4.2). */
  Noop: 'noop',
  /** An application command, given to `apply()`. */
  Command: 'command',
  /** A whole new configuration; it takes effect as soon as it is appended. */
  Configuration: 'configuration',
} as const;

/** `'noop'`, `'command'` or `'configuration'`. */
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** One entry of the log. `servers` is set on configuration entries only. */
export interface LogEntry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly command?: unknown;
  readonly servers?: readonly ConfigurationServer[];
}

/** Log indexes start at 1; index 0 is the empty prefix, of term 0. Changes go through to the storage. */
export class RaftLog {
  readonly #storage: RaftStorage;
  readonly #entries: readonly LogEntry[];

  constructor(storage: RaftStorage) {
    this.#storage = storage;
    this.#entries = storage.entries;
  }

  get lastIndex(): number {
    return this.#entries.length;
  }

  get lastTerm(): number {
    return this.#entries.at(-1)?.term ?? 0;
  }

  /** The entry at `index`, if the log holds one there. */
  entry(index: number): LogEntry | undefined {
    return index >= 1 ? this.#entries[index - 1] : undefined;
  }

  /** The term of the entry at `index`; 0 for index 0; undefined past the end. */
  termAt(index: number): number | undefined {
    return index === 0 ? 0 : this.entry(index)?.term;
  }

  /** Up to `max` entries from index `from` on. */
  slice(from: number, max: number): LogEntry[] {
    return this.#entries.slice(from - 1, from - 1 + max);
  }

  /** Appends `entries`, consecutive from `lastIndex + 1`, in one storage write. */
  append(entries: readonly LogEntry[]): void {
    entries.forEach((entry, i) => {
      if (entry.index !== this.lastIndex + 1 + i) throw new RangeError(`append of index ${entry.index} after ${this.lastIndex + i}`);
    });
    if (entries.length > 0) this.#storage.append(entries);
  }

  /** Returns once the log is durable (see {@link RaftStorage.sync}). */
  sync(): void {
    this.#storage.sync();
  }

  /** Drops the entries from `index` on (a follower's conflicting suffix). */
  truncateFrom(index: number): void {
    if (index <= this.lastIndex) this.#storage.truncateFrom(index);
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as this one? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm !== this.lastTerm ? lastTerm > this.lastTerm : lastIndex >= this.lastIndex;
  }

  /** The first index of the run of entries sharing the term at `index` (for a fast back-off hint). */
  firstIndexOfTerm(index: number): number {
    const term = this.termAt(index);
    let first = index;
    while (first > 1 && this.termAt(first - 1) === term) first -= 1;
    return first;
  }

  /** The configuration in force at `index`: the last configuration entry at or before it. */
  configurationAt(index: number): Configuration {
    for (let i = Math.min(index, this.lastIndex); i >= 1; i -= 1) {
      const entry = this.#entries[i - 1];
      if (entry?.servers) return { index: i, servers: entry.servers };
    }
    return EMPTY_CONFIGURATION;
  }
}
