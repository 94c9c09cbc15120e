import { RequestDeadlines, type Deadlined } from './request-deadlines.js';

/** An item's place in the queue: {@link RequestDeadlines} keeps its links in it. */
interface Entry<T> extends Deadlined<Entry<T>> {
  readonly item: T;
}

/**
 * Expires items a fixed time after they were added, with one timer for all
 * of them ({@link RequestDeadlines}, which this keys by item): for items
 * that cannot carry the links themselves, such as a connection with three
 * deadlines of different kinds, or a socket. Restarting an item's
 * deadline moves its entry, with no hash-table operation.
 */
export class DeadlineQueue<T> {
  readonly #entries = new Map<T, Entry<T>>();
  readonly #queue: RequestDeadlines<Entry<T>>;

  constructor(
    readonly timeoutMs: number,
    onExpire: (item: T) => void,
  ) {
    this.#queue = new RequestDeadlines<Entry<T>>(timeoutMs, (entry) => {
      this.#entries.delete(entry.item);
      onExpire(entry.item);
    });
  }

  /** Items waiting. */
  get size(): number {
    return this.#entries.size;
  }

  /** Starts `item`'s deadline, or restarts it if it had one. */
  add(item: T): void {
    let entry = this.#entries.get(item);
    if (entry === undefined) {
      entry = { item, deadlineAt: -1, older: undefined, newer: undefined };
      this.#entries.set(item, entry);
    }
    this.#queue.add(entry);
  }

  /** True if `item` has a deadline running. */
  has(item: T): boolean {
    return this.#entries.has(item);
  }

  delete(item: T): void {
    const entry = this.#entries.get(item);
    if (entry === undefined) return;
    this.#entries.delete(item);
    this.#queue.delete(entry);
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.#entries.clear();
    this.#queue.clear();
  }

  /** The items still waiting. */
  items(): T[] {
    return [...this.#entries.keys()];
  }
}
