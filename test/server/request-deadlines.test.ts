import { describe, expect, it, vi } from 'vitest';
import { RequestDeadlines, type Deadlined } from '../../src/server/request-deadlines.js';

class Item implements Deadlined<Item> {
  deadlineAt = -1;
  older: Item | undefined;
  newer: Item | undefined;
  constructor(readonly name: string) {}
}

describe('RequestDeadlines', () => {
  it('expires items in deadline order, with add restarting a deadline', async () => {
    const expired: string[] = [];
    const queue = new RequestDeadlines<Item>(60, (item) => expired.push(item.name));
    const [a, b, c] = [new Item('a'), new Item('b'), new Item('c')];
    try {
      queue.add(a);
      queue.add(b);
      await new Promise((resolve) => setTimeout(resolve, 30));
      queue.add(a); // restarted: now after b
      queue.add(c);
      queue.delete(c);
      queue.delete(c); // twice: nothing more happens
      expect(c.deadlineAt).toBe(-1);
      expect(queue.size).toBe(2);
      await vi.waitFor(() => expect(expired).toEqual(['b', 'a']), { timeout: 2_000 });
      expect(queue.size).toBe(0);
      // Expired items hold no links: nothing they point at is kept alive by them.
      expect([a.older, a.newer, b.older, b.newer]).toEqual([undefined, undefined, undefined, undefined]);
    } finally {
      queue.clear();
    }
  });

  it('deletes from the middle, the oldest and the newest, and clears', () => {
    const queue = new RequestDeadlines<Item>(10_000, () => undefined);
    const items = ['a', 'b', 'c', 'd'].map((name) => new Item(name));
    for (const item of items) queue.add(item);
    queue.delete(items[1]!);
    queue.delete(items[0]!);
    queue.delete(items[3]!);
    expect(queue.size).toBe(1);
    expect([items[2]!.older, items[2]!.newer]).toEqual([undefined, undefined]);
    queue.add(items[0]!);
    queue.clear();
    expect(queue.size).toBe(0);
    expect(items.map((item) => item.deadlineAt)).toEqual([-1, -1, -1, -1]);
  });

  it('re-arms after the queue emptied and filled again', async () => {
    const expired: string[] = [];
    const queue = new RequestDeadlines<Item>(20, (item) => expired.push(item.name));
    try {
      for (let i = 0; i < 1_000; i++) {
        const item = new Item(String(i));
        queue.add(item);
        queue.delete(item);
      }
      queue.add(new Item('last'));
      await vi.waitFor(() => expect(expired).toEqual(['last']), { timeout: 2_000 });
    } finally {
      queue.clear();
    }
  });
});
