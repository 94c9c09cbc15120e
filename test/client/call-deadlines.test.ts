import { describe, expect, it } from 'vitest';
import { CallDeadlines, type QueuedDeadline } from '../../src/client/call-deadlines.js';
import { useCleanup } from '../support/cleanup.js';

const use = useCleanup();

/** A deadline that notes when it expired. */
function deadline(name: string, expired: string[]): QueuedDeadline & { late: number } {
  const entry = {
    deadlineAt: 0,
    lane: undefined,
    prev: undefined,
    next: undefined,
    late: Number.NaN,
    expire() {
      entry.late = performance.now() - entry.deadlineAt;
      expired.push(name);
    },
  };
  return entry;
}

/** Ref'd timers alive now (unref'd ones do not keep the process alive, and are not listed). */
const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the deadlines of a client\'s calls', () => {
  it('expires each deadline once, never early, the same length in the order added, several lengths side by side', async () => {
    const queue = use(new CallDeadlines(), (q) => q.stop());
    const expired: string[] = [];
    const entries = [
      ['a30', 30],
      ['b10', 10],
      ['c30', 30],
      ['d20', 20],
      ['e10', 10],
    ] as const;
    const made = entries.map(([name, ms]) => {
      const entry = deadline(name, expired);
      queue.add(entry, ms);
      return entry;
    });
    expect(queue.size).toBe(5);
    for (let waited = 0; expired.length < 5 && waited < 5_000; waited += 10) await sleep(10);
    expect([...expired].sort()).toEqual(['a30', 'b10', 'c30', 'd20', 'e10']);
    expect(expired.indexOf('a30')).toBeLessThan(expired.indexOf('c30'));
    expect(expired.indexOf('b10')).toBeLessThan(expired.indexOf('e10'));
    expect(made.every((entry) => entry.late >= 0)).toBe(true);
    expect(queue.size).toBe(0);
  });

  it('never expires a deleted deadline, and deletes from anywhere in a lane', async () => {
    const queue = use(new CallDeadlines(), (q) => q.stop());
    const expired: string[] = [];
    const [first, middle, last] = ['first', 'middle', 'last'].map((name) => {
      const entry = deadline(name, expired);
      queue.add(entry, 15);
      return entry;
    });
    queue.delete(middle!);
    queue.delete(middle!);
    expect(queue.size).toBe(2);
    expect(queue.all()).toEqual([first, last]);
    queue.delete(first!);
    for (let waited = 0; expired.length < 1 && waited < 5_000; waited += 10) await sleep(10);
    await sleep(30);
    expect(expired).toEqual(['last']);
  });

  it('keeps the process alive while a deadline waits, and not after', async () => {
    const before = timers();
    const queue = use(new CallDeadlines(), (q) => q.stop());
    const entry = deadline('one', []);
    queue.add(entry, 60_000);
    expect(timers()).toBe(before + 1);
    queue.delete(entry);
    expect(timers()).toBe(before);
    queue.add(entry, 60_000);
    expect(timers()).toBe(before + 1);
    queue.delete(entry);
    queue.stop();
    expect(timers()).toBe(before);
  });

  it('once stopped, lets its timer go as soon as the last deadline leaves', () => {
    const before = timers();
    const queue = new CallDeadlines();
    const entry = deadline('closing', []);
    queue.add(entry, 60_000);
    queue.stop();
    expect(timers()).toBe(before + 1);
    queue.delete(entry);
    expect(timers()).toBe(before);
  });

  it('lets a deadline that expires add and delete others', async () => {
    const queue = use(new CallDeadlines(), (q) => q.stop());
    const expired: string[] = [];
    const other = deadline('other', expired);
    const follower = deadline('follower', expired);
    const first = deadline('first', expired);
    first.expire = () => {
      expired.push('first');
      queue.delete(other);
      queue.add(follower, 5);
    };
    queue.add(first, 5);
    queue.add(other, 5);
    for (let waited = 0; expired.length < 2 && waited < 5_000; waited += 10) await sleep(10);
    expect(expired).toEqual(['first', 'follower']);
    expect(queue.size).toBe(0);
  });
});
