/**
 * Items queued by peer and taken one peer at a time, in turn: a peer with
 * a thousand items queued delays another peer's next item by one of its
 * own, not by the thousand. Within a peer, items keep their order.
 */
export class PeerLanes<T> {
  /**
   * Each peer with items queued, in the order of its next turn: a Map
   * keeps insertion order, so taking a peer's item and setting its lane
   * again sends it to the back.
   */
  readonly #lanes = new Map<string, T[]>();
  #size = 0;

  /** Items queued, over every peer. */
  get size(): number {
    return this.#size;
  }

  /** Queues `item` behind `peer`'s others; a peer with nothing queued takes its turn after those waiting. */
  push(peer: string, item: T): void {
    const lane = this.#lanes.get(peer);
    if (lane === undefined) this.#lanes.set(peer, [item]);
    else lane.push(item);
    this.#size += 1;
  }

  /** The next peer's oldest item; that peer's next one then waits for every other peer's turn. */
  shift(): T | undefined {
    const next = this.#lanes.entries().next();
    if (next.done === true) return undefined;
    const [peer, lane] = next.value;
    const item = lane.shift() as T;
    this.#lanes.delete(peer);
    if (lane.length > 0) this.#lanes.set(peer, lane);
    this.#size -= 1;
    return item;
  }

  /** Takes every item queued, in turn order. */
  drain(): T[] {
    const all: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) all.push(item);
    return all;
  }
}
