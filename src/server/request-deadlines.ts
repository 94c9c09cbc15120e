/** What {@link RequestDeadlines} keeps in each item: its deadline and its links, so that adding and deleting allocate nothing. */
export interface Deadlined<T> {
  /** When the deadline passes (`performance.now()`); -1 while the item is in no queue. */
  deadlineAt: number;
  older: T | undefined;
  newer: T | undefined;
}

/**
 * Expires items a fixed time after they were added, with one timer for all
 * of them, keeping its list in the items themselves ({@link DeadlineQueue}
 * keys it by item, for items that cannot carry the links): adding and
 * deleting are a few field writes, where a Map entry per item cost two
 * hash-table operations and replaced the table every few dozen requests. Every item gets the same timeout, so the list
 * in insertion order is in deadline order and only the oldest item needs
 * the timer; it is never cleared on the way (it fires at most once per
 * timeout for nothing, and re-arms for the oldest item). An item is in one
 * such queue at most.
 */
export class RequestDeadlines<T extends Deadlined<T>> {
  #oldest: T | undefined;
  #newest: T | undefined;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly timeoutMs: number,
    private readonly onExpire: (item: T) => void,
  ) {}

  /** Items waiting. */
  get size(): number {
    return this.#size;
  }

  /**
   * Starts `item`'s deadline from `now` (a `performance.now()` the caller
   * read, once for a batch of items), or restarts it if it had one. A
   * deadline is never before the newest one's: the list stays in order.
   */
  add(item: T, now = performance.now()): void {
    this.delete(item);
    const newest = this.#newest;
    item.deadlineAt = newest === undefined ? now + this.timeoutMs : Math.max(now + this.timeoutMs, newest.deadlineAt);
    item.older = newest;
    item.newer = undefined;
    if (newest === undefined) this.#oldest = item;
    else newest.newer = item;
    this.#newest = item;
    this.#size += 1;
    if (this.#timer === undefined) this.#arm();
  }

  delete(item: T): void {
    if (item.deadlineAt < 0) return;
    const { older, newer } = item;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    // Unlinked for good: a dead item that still pointed at live ones would keep them from the young generation's collections.
    item.older = item.newer = undefined;
    item.deadlineAt = -1;
    this.#size -= 1;
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    while (this.#oldest !== undefined) this.delete(this.#oldest);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const oldest = this.#oldest;
    if (oldest === undefined) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(this.#expire, Math.max(0, oldest.deadlineAt - performance.now()) + 1);
    this.#timer.unref();
  }

  /** Made once: a closure per timer would be garbage per timer. */
  readonly #expire = (): void => {
    const now = performance.now();
    for (let item = this.#oldest; item !== undefined && item.deadlineAt <= now; item = this.#oldest) {
      this.delete(item);
      this.onExpire(item);
    }
    this.#arm();
  };
}
