import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/client/in-flight.js';
import { MAX_REQUEST_ID } from '../../src/protocol/messages.js';

interface Entry {
  readonly rid: number;
}

/** Adds an entry under a fresh id; returns it. */
function send(table: InFlight<Entry>): Entry {
  const entry = { rid: table.nextRid() };
  table.add(entry);
  return entry;
}

describe('the requests in flight on a connection', () => {
  it('hands out ids in turn and finds each entry by its id', () => {
    const table = new InFlight<Entry>();
    const sent = Array.from({ length: 5 }, () => send(table));
    expect(sent.map((e) => e.rid)).toEqual([1, 2, 3, 4, 5]);
    expect(table.size).toBe(5);
    expect(table.get(3)).toBe(sent[2]);
    expect(table.delete(3)).toBe(sent[2]);
    expect(table.get(3)).toBeUndefined();
    expect(table.delete(3)).toBeUndefined();
    expect(table.size).toBe(4);
  });

  it('never gives out an id in flight, and an id that shares a slot is not taken for it', () => {
    const table = new InFlight<Entry>();
    const first = send(table);
    // Ids 2…16 come and go: the next in turn, 17, shares the first's slot (16 slots).
    for (let i = 0; i < 15; i++) table.delete(send(table).rid);
    const next = send(table);
    expect(next.rid).not.toBe(first.rid);
    expect(table.get(first.rid)).toBe(first);
    expect(table.get(next.rid)).toBe(next);
  });

  it('grows past its first slots, keeping every entry', () => {
    const table = new InFlight<Entry>();
    const sent = Array.from({ length: 1_000 }, () => send(table));
    expect(new Set(sent.map((e) => e.rid)).size).toBe(1_000);
    expect(sent.every((entry) => table.get(entry.rid) === entry)).toBe(true);
    // Answered out of order, as a server may.
    for (const entry of [...sent].reverse()) expect(table.delete(entry.rid)).toBe(entry);
    expect(table.size).toBe(0);
  });

  it('wraps its ids after the largest one, skipping those still in flight', () => {
    const table = new InFlight<Entry>(MAX_REQUEST_ID - 1);
    const sent = Array.from({ length: 4 }, () => send(table));
    expect(sent.map((e) => e.rid)).toEqual([MAX_REQUEST_ID - 1, MAX_REQUEST_ID, 0, 1]);
    expect(sent.every((entry) => table.get(entry.rid) === entry)).toBe(true);
  });

  it('gives every entry back on clear()', () => {
    const table = new InFlight<Entry>();
    const sent = Array.from({ length: 40 }, () => send(table));
    expect(table.clear().sort((a, b) => a.rid - b.rid)).toEqual(sent);
    expect(table.size).toBe(0);
    expect(table.get(sent[0]!.rid)).toBeUndefined();
  });

  it('agrees with a Map under any sequence of sends and answers', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(200)), { maxLength: 400 }), fc.nat(MAX_REQUEST_ID), (steps, firstRid) => {
        const table = new InFlight<Entry>(firstRid);
        const model = new Map<number, Entry>();
        for (const step of steps) {
          if (step === -1 || model.size === 0) {
            const entry = send(table);
            expect(model.has(entry.rid)).toBe(false);
            model.set(entry.rid, entry);
          } else {
            const rid = [...model.keys()][step % model.size]!;
            expect(table.delete(rid)).toBe(model.get(rid));
            model.delete(rid);
          }
          expect(table.size).toBe(model.size);
        }
        for (const [rid, entry] of model) expect(table.get(rid)).toBe(entry);
      }),
    );
  });
});
