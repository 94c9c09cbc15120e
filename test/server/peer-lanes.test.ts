import { describe, expect, it } from 'vitest';
import { PeerLanes } from '../../src/server/peer-lanes.js';

describe('PeerLanes', () => {
  it('takes one item per peer in turn, each peer in its own order', () => {
    const lanes = new PeerLanes<string>();
    for (let i = 1; i <= 4; i++) lanes.push('flood', `f${i}`);
    lanes.push('quiet', 'q1');
    lanes.push('other', 'o1');
    lanes.push('quiet', 'q2');
    expect(lanes.size).toBe(7);
    // The flood's four items delay the quiet peer's by one, not by four.
    expect(lanes.drain()).toEqual(['f1', 'q1', 'o1', 'f2', 'q2', 'f3', 'f4']);
    expect(lanes.size).toBe(0);
    expect(lanes.shift()).toBeUndefined();
  });

  it('sends a peer that comes back after emptying its lane to the end of the line', () => {
    const lanes = new PeerLanes<string>();
    lanes.push('a', 'a1');
    lanes.push('b', 'b1');
    expect(lanes.shift()).toBe('a1');
    lanes.push('a', 'a2');
    lanes.push('c', 'c1');
    expect([lanes.shift(), lanes.shift(), lanes.shift()]).toEqual(['b1', 'a2', 'c1']);
  });

  it('keeps the turns through thousands of items, peers coming and going', () => {
    const lanes = new PeerLanes<string>();
    for (let i = 0; i < 3_000; i++) lanes.push('a', `a${i}`);
    for (let i = 0; i < 1_500; i++) lanes.push('b', `b${i}`);
    const taken: string[] = [];
    for (let i = 0; i < 2_000; i++) taken.push(lanes.shift()!);
    lanes.push('c', 'c0');
    taken.push(...lanes.drain());
    // a and b alternate while both have items; c, arriving after 2,000 were
    // taken, waits one turn of each; then a's rest.
    const expected: string[] = [];
    for (let i = 0; i < 1_000; i++) expected.push(`a${i}`, `b${i}`);
    expected.push(`a1000`, `b1000`, 'c0');
    for (let i = 1_001; i < 1_500; i++) expected.push(`a${i}`, `b${i}`);
    for (let i = 1_500; i < 3_000; i++) expected.push(`a${i}`);
    expect(taken).toEqual(expected);
    expect(lanes.size).toBe(0);
  });
});
