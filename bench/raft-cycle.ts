/** One raft scenario round: a server joins and leaves, again and again, each call timed. */
import type { ServerAddress } from '../src/index.js';
import type { Budget } from './harness.js';

/** Each join's and leave's latency in µs, in order. */
export interface CycleTimes {
  readonly joinsUs: number[];
  readonly leavesUs: number[];
  readonly elapsedMs: number;
}

/** What joins and leaves: a `ClusterMember`. */
export interface Joiner {
  join(target: ServerAddress, timeoutMs: number): Promise<unknown>;
  leave(target: ServerAddress, timeoutMs: number): Promise<unknown>;
}

/** Joins and leaves through `target` until the budget is spent; the server is out of the cluster afterwards. */
export async function joinLeaveCycles(member: Joiner, target: ServerAddress, { iterations, ms }: Budget): Promise<CycleTimes> {
  const joinsUs: number[] = [];
  const leavesUs: number[] = [];
  const start = performance.now();
  while (joinsUs.length < iterations && performance.now() - start < ms) {
    const t0 = performance.now();
    await member.join(target, 10_000);
    const t1 = performance.now();
    await member.leave(target, 10_000);
    const t2 = performance.now();
    joinsUs.push((t1 - t0) * 1000);
    leavesUs.push((t2 - t1) * 1000);
  }
  return { joinsUs, leavesUs, elapsedMs: performance.now() - start };
}
