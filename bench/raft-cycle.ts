/**
 * One raft scenario round: a new, empty server joins and leaves, again and
 * again, each call timed; each is a fresh server (its own port, an empty
 * log), so that every join pays the catch-up a real fourth server pays.
 */
import type { ServerAddress } from '../src/index.js';
import type { Budget } from './harness.js';

/** Each join's and leave's latency in µs, in order, and their total in ms. */
export interface CycleTimes {
  readonly joinsUs: number[];
  readonly leavesUs: number[];
  readonly elapsedMs: number;
}

/** What joins and leaves: a `ClusterMember`. */
export interface Joiner {
  join(target: ServerAddress, timeoutMs: number): Promise<unknown>;
  leave(target: ServerAddress, timeoutMs: number): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Starts a server with `start(n)` (not timed), joins it and makes it leave
 * through `target`, then closes it; until the budget is spent. Returns the
 * join and leave latencies.
 */
export async function joinLeaveCycles(start: (n: number) => Promise<Joiner>, target: ServerAddress, { iterations, ms }: Budget): Promise<CycleTimes> {
  const joinsUs: number[] = [];
  const leavesUs: number[] = [];
  let timed = 0;
  while (joinsUs.length < iterations && timed < ms) {
    const member = await start(joinsUs.length);
    try {
      const t0 = performance.now();
      await member.join(target, 10_000);
      const t1 = performance.now();
      await member.leave(target, 10_000);
      const t2 = performance.now();
      joinsUs.push((t1 - t0) * 1000);
      leavesUs.push((t2 - t1) * 1000);
      timed += t2 - t0;
    } finally {
      await member.close();
    }
  }
  return { joinsUs, leavesUs, elapsedMs: timed };
}
