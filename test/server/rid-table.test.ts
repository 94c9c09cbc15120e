import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RidTable } from '../../src/server/rid-table.js';
import { MAX_REQUEST_ID } from '../../src/protocol/messages.js';
import { fcParams } from '../support/fc.js';

describe('RidTable', () => {
  it('holds, replaces, finds and forgets entries by request id, null included', () => {
    const table = new RidTable<string | null>();
    table.set(7, 'a');
    table.set(0, null);
    table.set(MAX_REQUEST_ID, 'z');
    expect(table.size).toBe(3);
    expect(table.get(7)).toBe('a');
    expect(table.has(0)).toBe(true);
    expect(table.get(0)).toBeNull();
    expect(table.get(8)).toBeUndefined();
    table.set(7, 'b');
    expect(table.size).toBe(3);
    expect(table.get(7)).toBe('b');
    expect(table.delete(7)).toBe(true);
    expect(table.delete(7)).toBe(false);
    expect(table.has(7)).toBe(false);
    expect([...table.values()].sort()).toEqual(['z', null].sort());
    table.clear();
    expect(table.size).toBe(0);
    expect(table.has(MAX_REQUEST_ID)).toBe(false);
  });

  it('grows past its first slots and keeps every entry', () => {
    const table = new RidTable<number>();
    for (let rid = 0; rid < 1_000; rid++) table.set(rid * 4_096, rid);
    expect(table.size).toBe(1_000);
    for (let rid = 0; rid < 1_000; rid++) expect(table.get(rid * 4_096)).toBe(rid);
    for (let rid = 0; rid < 1_000; rid += 2) table.delete(rid * 4_096);
    for (let rid = 0; rid < 1_000; rid++) expect(table.get(rid * 4_096)).toBe(rid % 2 === 0 ? undefined : rid);
  });

  it('answers as a Map does under any sequence of changes (property)', () => {
    // Ids from a small pool of colliding shapes (multiples of large powers
    // of two, neighbours, the extremes) as well as anywhere.
    const rid = fc.oneof(
      fc.nat({ max: 40 }),
      fc.nat({ max: 40 }).map((n) => (n * 65_536) >>> 0),
      fc.constantFrom(0, 1, MAX_REQUEST_ID, MAX_REQUEST_ID - 1, 2 ** 31),
      fc.nat({ max: MAX_REQUEST_ID }),
    );
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), rid, value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), rid }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new RidTable<number>();
        const map = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            table.set(o.rid, o.value);
            map.set(o.rid, o.value);
          } else {
            expect(table.delete(o.rid)).toBe(map.delete(o.rid));
          }
          expect(table.size).toBe(map.size);
        }
        for (const [key, value] of map) expect(table.get(key)).toBe(value);
        for (const o of ops) expect(table.has(o.rid)).toBe(map.has(o.rid));
        expect([...table.values()].sort((a, b) => a - b)).toEqual([...map.values()].sort((a, b) => a - b));
      }),
      fcParams({ numRuns: 300 }),
    );
  });
});
