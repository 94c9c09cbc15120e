/**
 * Expires items a fixed time after they were added, with one timer for all
 * of them: since every item gets the same timeout, insertion order is
 * deadline order, so only the oldest item's deadline needs a timer. This
 * keeps a per-request timer off the hot path: adding and deleting are a
 * Map operation each, and the timer is never cleared on the way (it fires
 * at most once per timeout for nothing, and re-arms for the oldest item).
 */
export class DeadlineQueue<T> {
  readonly #deadlines = new Map<T, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    readonly timeoutMs: number,
    private readonly onExpire: (item: T) => void,
  ) {}

  /** Items waiting. */
  get size(): number {
    return this.#deadlines.size;
  }

  /** Starts `item`'s deadline, or restarts it if it had one. */
  add(item: T): void {
    // Re-inserted at the end, where its new deadline belongs.
    this.#deadlines.delete(item);
    this.#deadlines.set(item, performance.now() + this.timeoutMs);
    if (!this.#timer) this.#arm();
  }

  /** True if `item` has a deadline running. */
  has(item: T): boolean {
    return this.#deadlines.has(item);
  }

  delete(item: T): void {
    this.#deadlines.delete(item);
  }

  /** Forgets every item and stops the timer. */
  clear(): void {
    this.#deadlines.clear();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The items still waiting, oldest first. */
  items(): T[] {
    return [...this.#deadlines.keys()];
  }

  #arm(): void {
    const oldest = this.#deadlines.values().next();
    if (oldest.done) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, oldest.value - performance.now()) + 1);
    this.#timer.unref();
  }

  #expire(): void {
    const now = performance.now();
    for (const [item, deadline] of this.#deadlines) {
      if (deadline > now) break;
      this.#deadlines.delete(item);
      this.onExpire(item);
    }
    this.#arm();
  }
}
