/**
 * Reference raft engine (not part of the published API): raft's durable
 * state in a directory, as a journal of changes (./journal-format.ts).
 */
import { closeSync, fdatasyncSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MembershipError, ShuttingDownError } from '../../src/membership/errors.js';
import type { ServerID } from '../../src/membership/types.js';
import { JournalCorruptError, encodeRecord, scanJournal, type JournalRecord } from './journal-format.js';
import type { LogEntry } from './log.js';
import type { RaftStorage } from './storage.js';

/** Another live process, or another open storage in this one, holds the directory. */
export class StorageLockedError extends MembershipError {
  readonly code = 'ERR_RAFT_STORAGE_LOCKED';
}

const JOURNAL = 'raft.journal';
const LOCK = 'LOCK';

/** Directories open in this process: the lock file cannot tell them apart. */
const openHere = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `dir` for this process: a lock file naming our pid; a dead holder's lock is taken over. */
function lock(dir: string): void {
  if (openHere.has(dir)) throw new StorageLockedError(`${dir} is already open in this process`);
  const path = join(dir, LOCK);
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(path, 'utf8').trim());
  } catch {
    // no lock file: free
  }
  if (Number.isSafeInteger(holder) && holder !== process.pid && processAlive(holder)) {
    throw new StorageLockedError(`${dir} is held by process ${holder}`);
  }
  writeFileSync(path, `${process.pid}\n`);
  openHere.add(dir);
}

/**
 * Raft's term, vote and log in `dir/raft.journal`: a record per change of
 * term or vote, per append and per truncation, each with a CRC. Writes go
 * to the file at once; `sync()` makes them durable (fdatasync). Opening
 * replays the journal and drops a torn tail (a crash in mid-write); damage
 * before the last record refuses to open. One process at a time holds the
 * directory (a `LOCK` file with its pid; a dead process's lock is taken
 * over, so a server killed with SIGKILL restarts on its own directory).
 */
export class FileStorage implements RaftStorage {
  /** The directory, resolved. */
  readonly dir: string;
  /** Why bytes at the end of the journal were dropped at open, if they were. */
  readonly recovered: string | undefined;
  #term = 0;
  #votedFor: ServerID | null = null;
  readonly #entries: LogEntry[] = [];
  #fd: number | undefined;
  #dirty = false;

  private constructor(dir: string, fd: number, recovered: string | undefined) {
    this.dir = dir;
    this.#fd = fd;
    this.recovered = recovered;
  }

  /** Opens (creating if need be) the storage in `dir`; throws StorageLockedError or JournalCorruptError. */
  static open(dir: string): FileStorage {
    const root = resolve(dir);
    mkdirSync(root, { recursive: true });
    lock(root);
    let fd: number | undefined;
    try {
      fd = openSync(join(root, JOURNAL), 'a+');
      // Make the journal's name durable too, the first time.
      const dirFd = openSync(root, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
      const scan = scanJournal(readFileSync(join(root, JOURNAL)));
      if (scan.tornTail !== undefined) {
        ftruncateSync(fd, scan.validBytes);
        fsyncSync(fd);
      }
      const storage = new FileStorage(root, fd, scan.tornTail);
      for (const record of scan.records) storage.#apply(record);
      return storage;
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      FileStorage.#unlock(root);
      throw error;
    }
  }

  get currentTerm(): number {
    return this.#term;
  }

  get votedFor(): ServerID | null {
    return this.#votedFor;
  }

  get entries(): readonly LogEntry[] {
    return this.#entries;
  }

  setTermAndVote(term: number, votedFor: ServerID | null): void {
    this.#record({ t: 'vote', term, votedFor });
  }

  append(entries: readonly LogEntry[]): void {
    if (entries.length > 0) this.#record({ t: 'append', entries });
  }

  truncateFrom(index: number): void {
    if (index <= this.#entries.length) this.#record({ t: 'truncate', from: index });
  }

  sync(): void {
    if (!this.#dirty) return;
    fdatasyncSync(this.#openFd());
    this.#dirty = false;
  }

  /** Syncs and releases the directory. Idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    try {
      this.sync();
    } finally {
      closeSync(this.#fd);
      this.#fd = undefined;
      FileStorage.#unlock(this.dir);
    }
  }

  static #unlock(dir: string): void {
    openHere.delete(dir);
    try {
      unlinkSync(join(dir, LOCK));
    } catch {
      // already gone
    }
  }

  #openFd(): number {
    if (this.#fd === undefined) throw new ShuttingDownError(`storage in ${this.dir} is closed`);
    return this.#fd;
  }

  /** Writes `record` (one write, so that a crash tears at most this record), then applies it. */
  #record(record: JournalRecord): void {
    const bytes = encodeRecord(record);
    const fd = this.#openFd();
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    this.#dirty = true;
    this.#apply(record);
  }

  #apply(record: JournalRecord): void {
    switch (record.t) {
      case 'vote':
        this.#term = record.term;
        this.#votedFor = record.votedFor;
        return;
      case 'append':
        if (record.entries[0]?.index !== this.#entries.length + 1) {
          throw new JournalCorruptError(`journal appends index ${record.entries[0]?.index} after ${this.#entries.length}`);
        }
        for (const entry of record.entries) this.#entries.push(entry);
        return;
      case 'truncate':
        this.#entries.length = Math.max(0, Math.min(this.#entries.length, record.from - 1));
        return;
    }
  }
}
