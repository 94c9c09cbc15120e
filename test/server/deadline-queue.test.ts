import { describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from '../../src/server/deadline-queue.js';

describe('DeadlineQueue', () => {
  it('expires items in deadline order, with add restarting a deadline', async () => {
    const expired: string[] = [];
    const queue = new DeadlineQueue<string>(60, (item) => expired.push(item));
    try {
      queue.add('a');
      queue.add('b');
      await new Promise((resolve) => setTimeout(resolve, 30));
      queue.add('a'); // restarted: now after b
      queue.add('c');
      queue.delete('c');
      expect(queue.has('a')).toBe(true);
      expect(queue.size).toBe(2);
      await vi.waitFor(() => expect(expired).toEqual(['b', 'a']), { timeout: 2_000 });
      expect(queue.size).toBe(0);
    } finally {
      queue.clear();
    }
  });

  it('re-arms after the queue emptied and filled again', async () => {
    const expired: number[] = [];
    const queue = new DeadlineQueue<number>(20, (item) => expired.push(item));
    try {
      for (let i = 0; i < 1_000; i++) {
        queue.add(i);
        queue.delete(i);
      }
      queue.add(-1);
      await vi.waitFor(() => expect(expired).toEqual([-1]), { timeout: 2_000 });
    } finally {
      queue.clear();
    }
  });
});
