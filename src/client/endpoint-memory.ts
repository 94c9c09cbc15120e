import type { ServerAddress } from '../membership/types.js';

/** The most servers remembered in each map; past it the oldest entry goes. */
export const MAX_REMEMBERED = 1024;
/** How long a server that failed goes last, the first time; it doubles with each failure in a row. */
export const FIRST_COOL_DOWN_MS = 5_000;
/** The longest a failing server goes last. */
export const MAX_COOL_DOWN_MS = 60_000;

interface Failing {
  /** Until when (performance.now()) the server goes last. */
  until: number;
  /** Failures in a row. */
  failures: number;
}

/**
 * What a client remembers between calls, as etcd's clientv3 keeps endpoint
 * health: the leader a call reached through a server, so that the next call
 * through it goes straight to the leader; and the servers that failed (no
 * connection, no answer in their share of the deadline, busy, closing), so
 * that for a while they are tried last, not first. Both maps are capped.
 *
 * A leader is remembered only for servers that answered: a seed that never
 * did is not taken for a member of the cluster the others lead to.
 */
export class EndpointMemory {
  /** For a server that answered, the leader a call through it reached. */
  readonly #leaderOf = new Map<ServerAddress, ServerAddress>();
  readonly #failing = new Map<ServerAddress, Failing>();

  /**
   * The order to try `seeds` in: the leader remembered for the first of
   * them that has one, unless that leader is failing; then the seeds as
   * given, the failing ones last, those whose cool-down ends first first.
   */
  order(seeds: readonly ServerAddress[]): readonly ServerAddress[] {
    let leader: ServerAddress | undefined;
    for (const seed of seeds) {
      leader = this.#leaderOf.get(seed);
      if (leader !== undefined) break;
    }
    if (leader !== undefined && this.#isFailing(leader, performance.now())) leader = undefined;
    let order = seeds;
    if (leader !== undefined && leader !== seeds[0]) order = [leader, ...seeds.filter((seed) => seed !== leader)];
    if (this.#failing.size === 0 || order.length === 1) return order;
    const now = performance.now();
    const failing = order.filter((seed) => this.#isFailing(seed, now));
    if (failing.length === 0) return order;
    failing.sort((a, b) => this.#failing.get(a)!.until - this.#failing.get(b)!.until);
    return [...order.filter((seed) => !this.#isFailing(seed, now)), ...failing];
  }

  /** A call that began at `start` (one of `seeds`) was answered by `leader`. */
  reached(seeds: readonly ServerAddress[], start: ServerAddress, leader: ServerAddress): void {
    if (this.#leaderOf.get(start) === leader) return;
    this.#remember(start, leader);
    this.#remember(leader, leader);
    // Seeds that led to the old leader lead to this one now.
    for (const seed of seeds) if (seed !== start && this.#leaderOf.has(seed)) this.#remember(seed, leader);
  }

  /** `address` answered (whatever it said): it is not failing. */
  answered(address: ServerAddress): void {
    if (this.#failing.size > 0) this.#failing.delete(address);
  }

  /** A try at `address` failed for want of the server: it goes last for a while. */
  failed(address: ServerAddress): void {
    const before = this.#failing.get(address);
    const failures = (before?.failures ?? 0) + 1;
    const coolDown = Math.min(MAX_COOL_DOWN_MS, FIRST_COOL_DOWN_MS * 2 ** Math.min(failures - 1, 16));
    const entry = { until: performance.now() + coolDown, failures };
    this.#failing.delete(address);
    capped(this.#failing).set(address, entry);
  }

  #isFailing(address: ServerAddress, now: number): boolean {
    const entry = this.#failing.get(address);
    return entry !== undefined && entry.until > now;
  }

  #remember(address: ServerAddress, leader: ServerAddress): void {
    if (!this.#leaderOf.has(address)) capped(this.#leaderOf);
    this.#leaderOf.set(address, leader);
  }
}

/** Makes room for one more entry: the oldest goes when the map is full. */
function capped<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as K);
  return map;
}
