/**
 * Reference raft engine (not part of the published API): what a node keeps
 * of servers that left its configurations, so that one coming back (a
 * leave and a join again, a failed catch-up retried) is quick to serve.
 */
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import type { RpcClient } from './connection.js';

/** How many departed servers are remembered; the oldest is forgotten first. */
const MAX_REMEMBERED = 256;
/** How many connections are kept idle at once. */
const MAX_IDLE = 16;

/**
 * Connections to departed servers, kept open for `idleMs` by address (as
 * hashicorp/raft's transport pools its connections by address, whatever
 * peer uses them), and how much of the log each server was known to hold,
 * by id and address: a returning server's replication starts there instead
 * of probing back from the end of the log. That is only a hint; the
 * consistency check of AppendEntries still decides.
 */
export class RecentPeers {
  readonly #idleMs: number;
  readonly #idle = new Map<ServerAddress, { readonly client: RpcClient; readonly timer: NodeJS.Timeout }>();
  readonly #matched = new Map<string, number>();

  constructor(idleMs: number) {
    this.#idleMs = idleMs;
  }

  /** Keeps `client` for a while, and `matchIndex` (when known) for `id` at its address. */
  depart(id: ServerID, client: RpcClient, matchIndex: number): void {
    if (matchIndex > 0) remember(this.#matched, `${id}@${client.address}`, matchIndex, MAX_REMEMBERED);
    this.#drop(client.address);
    const timer = setTimeout(() => this.#drop(client.address), this.#idleMs);
    remember(this.#idle, client.address, { client, timer }, MAX_IDLE, (old) => {
      clearTimeout(old.timer);
      old.client.close();
    });
  }

  /** The idle connection to `address`, taken out of the pool, if there is one. */
  takeClient(address: ServerAddress): RpcClient | undefined {
    const idle = this.#idle.get(address);
    if (!idle) return undefined;
    clearTimeout(idle.timer);
    this.#idle.delete(address);
    return idle.client;
  }

  /** How much of the log `id` at `address` was last known to hold (0: nothing known). */
  matchIndex(id: ServerID, address: ServerAddress): number {
    return this.#matched.get(`${id}@${address}`) ?? 0;
  }

  /** Closes every idle connection. */
  close(): void {
    for (const address of [...this.#idle.keys()]) this.#drop(address);
  }

  #drop(address: ServerAddress): void {
    const idle = this.#idle.get(address);
    if (!idle) return;
    clearTimeout(idle.timer);
    idle.client.close();
    this.#idle.delete(address);
  }
}

/** Sets `key` as the newest of `map`, forgetting the oldest past `bound`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, bound: number, onEvict?: (value: V) => void): void {
  map.delete(key);
  map.set(key, value);
  for (const [oldest, old] of map) {
    if (map.size <= bound) break;
    map.delete(oldest);
    onEvict?.(old);
  }
}
