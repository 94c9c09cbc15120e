import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, appendFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage, StorageLockedError } from '../../reference/raft/file-storage.js';
import { JournalCorruptError, RECORD_HEADER_BYTES, crc32, scanJournal } from '../../reference/raft/journal-format.js';
import { EntryKind, type LogEntry } from '../../reference/raft/log.js';

const dirs: string[] = [];
const opened: FileStorage[] = [];

afterEach(() => {
  for (const storage of opened.splice(0)) storage.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'raft-journal-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string): FileStorage {
  const storage = FileStorage.open(dir);
  opened.push(storage);
  return storage;
}

function close(storage: FileStorage): void {
  storage.close();
  opened.splice(opened.indexOf(storage), 1);
}

const entry = (index: number, term: number, command: unknown = `c${index}`): LogEntry => ({ index, term, kind: EntryKind.Command, command });

const state = (storage: FileStorage): unknown => ({ term: storage.currentTerm, votedFor: storage.votedFor, entries: [...storage.entries] });

/** Writes a journal of several records; returns the state after each record and the journal's size after each. */
function writeHistory(dir: string): { states: unknown[]; sizes: number[] } {
  const storage = open(dir);
  const journal = join(dir, 'raft.journal');
  const states: unknown[] = [state(storage)];
  const sizes: number[] = [statSync(journal).size];
  const step = (change: () => void): void => {
    change();
    storage.sync();
    states.push(state(storage));
    sizes.push(statSync(journal).size);
  };
  step(() => storage.setTermAndVote(1, null));
  step(() => storage.append([{ index: 1, term: 1, kind: EntryKind.Configuration, servers: [{ id: 'a', address: '127.0.0.1:7000', role: 'voter' }] }]));
  step(() => storage.setTermAndVote(2, 'b'));
  step(() => storage.append([entry(2, 2), entry(3, 2, { x: [1, 2] }), entry(4, 2)]));
  step(() => storage.truncateFrom(3));
  step(() => storage.setTermAndVote(3, null));
  step(() => storage.append([entry(3, 3, 'the last record')]));
  close(storage);
  return { states, sizes };
}

describe('FileStorage', () => {
  it('comes back with the term, vote and log it was given, truncations included', () => {
    const dir = freshDir();
    const { states } = writeHistory(dir);
    const again = open(dir);
    expect(state(again)).toEqual(states.at(-1));
    expect(again.recovered).toBeUndefined();
    expect(again.entries.map((e) => e.index)).toEqual([1, 2, 3]);
    expect(again.entries.at(-1)?.command).toBe('the last record');
    // And carries on from there.
    again.append([entry(4, 3)]);
    close(again);
    expect(open(dir).entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
  });

  it('drops a torn last record, cut at any byte, and never a record before it', () => {
    const dir = freshDir();
    const { states, sizes } = writeHistory(dir);
    const journal = join(dir, 'raft.journal');
    const whole = readFileSync(journal);
    const lastStart = sizes.at(-2)!;
    for (let cut = lastStart + 1; cut < whole.length; cut += 1) {
      writeFileSync(journal, whole.subarray(0, cut));
      const storage = open(dir);
      expect(state(storage)).toEqual(states.at(-2));
      expect(storage.recovered).toMatch(/partial/);
      close(storage);
      // The tail is cut off on disk, so a new record follows the good ones.
      expect(statSync(journal).size).toBe(lastStart);
    }
  });

  it('drops a last record whose CRC does not match, or zeros past the last record', () => {
    const dir = freshDir();
    const { states, sizes } = writeHistory(dir);
    const journal = join(dir, 'raft.journal');
    const whole = readFileSync(journal);
    const flipped = Buffer.from(whole);
    flipped[flipped.length - 2]! ^= 0x01;
    writeFileSync(journal, flipped);
    let storage = open(dir);
    expect(state(storage)).toEqual(states.at(-2));
    expect(storage.recovered).toMatch(/CRC/);
    close(storage);

    writeFileSync(journal, whole);
    appendFileSync(journal, Buffer.alloc(4096));
    storage = open(dir);
    expect(state(storage)).toEqual(states.at(-1));
    expect(storage.recovered).toBeDefined();
    close(storage);
    expect(statSync(journal).size).toBe(sizes.at(-1));
  });

  it('refuses to open a journal damaged before its last record, and changes nothing', () => {
    const dir = freshDir();
    const { sizes } = writeHistory(dir);
    const journal = join(dir, 'raft.journal');
    const damaged = readFileSync(journal);
    // A byte in the payload of the fourth record (the append of three entries).
    damaged[sizes[3]! + RECORD_HEADER_BYTES + 3]! ^= 0x40;
    writeFileSync(journal, damaged);
    expect(() => FileStorage.open(dir)).toThrow(JournalCorruptError);
    expect(readFileSync(journal)).toEqual(damaged);
    // The failed open released the directory.
    writeFileSync(journal, Buffer.alloc(0));
    expect(state(open(dir))).toEqual({ term: 0, votedFor: null, entries: [] });
  });

  it('lets one storage at a time hold a directory, and takes over the lock of a dead process', () => {
    const dir = freshDir();
    const first = open(dir);
    expect(() => FileStorage.open(dir)).toThrow(StorageLockedError);
    close(first);
    // A process that died with the lock held (pid 2^22 + 1 is above Linux's pid_max).
    writeFileSync(join(dir, 'LOCK'), `${2 ** 22 + 1}\n`);
    const second = open(dir);
    expect(readFileSync(join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    close(second);
  });
});

describe('journal format', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('scans an empty journal as no records', () => {
    expect(scanJournal(Buffer.alloc(0))).toEqual({ records: [], validBytes: 0 });
  });

  it('treats a record that is valid MessagePack but not a record as bad', () => {
    const dir = freshDir();
    const { states, sizes } = writeHistory(dir);
    const journal = join(dir, 'raft.journal');
    truncateSync(journal, sizes.at(-1));
    const payload = Buffer.from([0x91, 0x01]); // [1]
    const header = Buffer.alloc(RECORD_HEADER_BYTES);
    header.writeUInt32BE(payload.length, 0);
    header.writeUInt32BE(crc32(payload), 4);
    appendFileSync(journal, Buffer.concat([header, payload]));
    const storage = open(dir);
    expect(state(storage)).toEqual(states.at(-1));
    expect(storage.recovered).toMatch(/not a record/);
  });
});
