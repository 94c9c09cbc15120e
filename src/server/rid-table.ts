/** Slots at first; the table doubles whenever it would be more than half full. */
const FIRST_SLOTS = 16;
/** 2^32 / φ: Fibonacci hashing spreads the peer's ids, sequential or not, over the slots. */
const GOLDEN = 0x9e3779b1;

/**
 * A connection's requests in flight, by the request id the peer chose: an
 * open-addressing table (linear probing, deletion by backward shift) in two
 * flat arrays.
 *
 * Not a `Map`, on purpose (the client's `InFlight` has the longer story): a
 * Map with an entry added and removed per request replaces its hash table
 * every few dozen requests, and V8 keeps each replaced table pointing at
 * its successor, so once one has aged into the old generation the chain
 * keeps every later table, and the requests they held, alive through every
 * young-generation collection. The peer picks the ids here, so a slot
 * cannot be chosen free as the client does: ids are hashed, and a peer
 * that picks colliding ids only lengthens its own probes, which its
 * in-flight limit bounds.
 */
export class RidTable<T> {
  #rids = new Uint32Array(FIRST_SLOTS);
  /** `undefined` marks a free slot. */
  #values: (T | undefined)[] = new Array<T | undefined>(FIRST_SLOTS).fill(undefined);
  #shift = 32 - Math.log2(FIRST_SLOTS);
  #size = 0;

  /** Entries held. */
  get size(): number {
    return this.#size;
  }

  /** The entry held for `rid`, or `undefined`. */
  get(rid: number): T | undefined {
    const at = this.#find(rid);
    return at < 0 ? undefined : this.#values[at];
  }

  has(rid: number): boolean {
    return this.#find(rid) >= 0;
  }

  /** Holds `value` (never `undefined`) for `rid`, replacing what was held. */
  set(rid: number, value: T): void {
    const found = this.#find(rid);
    if (found >= 0) {
      this.#values[found] = value;
      return;
    }
    if ((this.#size + 1) * 2 > this.#values.length) this.#grow();
    this.#place(rid, value);
    this.#size++;
  }

  /** Forgets `rid`; true if it was held. */
  delete(rid: number): boolean {
    let hole = this.#find(rid);
    if (hole < 0) return false;
    const rids = this.#rids;
    const values = this.#values;
    const mask = values.length - 1;
    // Backward shift: every entry after the hole, up to the next free
    // slot, moves into it if its home is not between the hole and itself.
    for (let at = (hole + 1) & mask; values[at] !== undefined; at = (at + 1) & mask) {
      const home = this.#home(rids[at]!);
      if (((at - home) & mask) >= ((at - hole) & mask)) {
        rids[hole] = rids[at]!;
        values[hole] = values[at];
        hole = at;
      }
    }
    values[hole] = undefined;
    this.#size--;
    return true;
  }

  /** Every entry held, in no particular order. */
  *values(): IterableIterator<T> {
    for (const value of this.#values) if (value !== undefined) yield value;
  }

  clear(): void {
    this.#values.fill(undefined);
    this.#size = 0;
  }

  #home(rid: number): number {
    return Math.imul(rid, GOLDEN) >>> this.#shift;
  }

  /** The slot holding `rid`, or -1. */
  #find(rid: number): number {
    const values = this.#values;
    const mask = values.length - 1;
    for (let at = this.#home(rid); values[at] !== undefined; at = (at + 1) & mask) {
      if (this.#rids[at] === rid) return at;
    }
    return -1;
  }

  /** Puts an entry known not to be held into the first free slot from its home. */
  #place(rid: number, value: T): void {
    const values = this.#values;
    const mask = values.length - 1;
    let at = this.#home(rid);
    while (values[at] !== undefined) at = (at + 1) & mask;
    this.#rids[at] = rid;
    values[at] = value;
  }

  #grow(): void {
    const rids = this.#rids;
    const values = this.#values;
    this.#rids = new Uint32Array(rids.length * 2);
    this.#values = new Array<T | undefined>(values.length * 2).fill(undefined);
    this.#shift -= 1;
    for (let i = 0; i < values.length; i++) if (values[i] !== undefined) this.#place(rids[i]!, values[i]!);
  }
}
