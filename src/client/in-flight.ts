import { MAX_REQUEST_ID } from '../protocol/messages.js';

/** Slots at first; the table doubles whenever a new request finds its slot taken. */
const FIRST_SLOTS = 16;

/**
 * The requests in flight on a connection, by request id, and the choice of
 * each new id. The connection picks the ids, so it picks one whose slot
 * (`rid & mask`) is free: a look-up is one array read, and the table
 * stays at most twice the most requests in flight at once.
 *
 * Not a `Map`, on purpose: a Map with an entry added and removed per
 * request replaces its hash table every few dozen requests, and V8 keeps
 * each replaced table pointing at its successor. Once one table has aged
 * into the old generation, that chain keeps every later table, and the
 * requests they held, alive through every young-generation collection
 * until the next full one: in the pipelined benchmark half of what the
 * client allocated was copied and promoted, and the collector took a third
 * of its time.
 */
export class InFlight<T extends { readonly rid: number }> {
  #slots: (T | undefined)[] = new Array<T | undefined>(FIRST_SLOTS).fill(undefined);
  #mask = FIRST_SLOTS - 1;
  #size = 0;
  #nextRid: number;

  /** @param firstRid the first id handed out (tests start near the top, to see them wrap). */
  constructor(firstRid = 1) {
    this.#nextRid = firstRid;
  }

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /**
   * An id for a new request, never one in flight: the next in turn (ids
   * wrap after 2^32 - 1) whose slot is free, the table grown if it is
   * half full.
   */
  nextRid(): number {
    let rid = this.#nextRid;
    while (this.#slots[rid & this.#mask] !== undefined) {
      if (this.#size * 2 >= this.#slots.length) this.#grow();
      else rid = rid === MAX_REQUEST_ID ? 0 : rid + 1;
    }
    this.#nextRid = rid === MAX_REQUEST_ID ? 0 : rid + 1;
    return rid;
  }

  /** Holds `entry`, whose `rid` came from {@link nextRid} and is not held yet. */
  add(entry: T): void {
    this.#slots[entry.rid & this.#mask] = entry;
    this.#size++;
  }

  get(rid: number): T | undefined {
    const entry = this.#slots[rid & this.#mask];
    return entry !== undefined && entry.rid === rid ? entry : undefined;
  }

  /** Lets go of the entry for `rid`; returns it, or `undefined` if none was held. */
  delete(rid: number): T | undefined {
    const at = rid & this.#mask;
    const entry = this.#slots[at];
    if (entry === undefined || entry.rid !== rid) return undefined;
    this.#slots[at] = undefined;
    this.#size--;
    return entry;
  }

  /** Lets go of every entry; returns them. */
  clear(): T[] {
    const all = this.#slots.filter((entry): entry is T => entry !== undefined);
    this.#slots.fill(undefined);
    this.#size = 0;
    return all;
  }

  #grow(): void {
    const slots = new Array<T | undefined>(this.#slots.length * 2).fill(undefined);
    const mask = slots.length - 1;
    // Ids held are distinct modulo the old size, so modulo the new one too.
    for (const entry of this.#slots) if (entry !== undefined) slots[entry.rid & mask] = entry;
    this.#slots = slots;
    this.#mask = mask;
  }
}
