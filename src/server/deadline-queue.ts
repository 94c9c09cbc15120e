/**
 * Expires items a fixed time after they were added, with one timer for all
 * of them: since every item gets the same timeout, insertion order is
 * deadline order, so only the oldest item's deadline needs a timer. This
 * keeps a per-request timer off the hot path.
 */
export class DeadlineQueue<T> {
  readonly #deadlines = new Map<T, number>();
  #timer: NodeJS.Timeout | undefined;
  #armedFor = 0;

  constructor(
    readonly timeoutMs: number,
    private readonly onExpire: (item: T) => void,
  ) {}

  add(item: T): void {
    this.#deadlines.set(item, performance.now() + this.timeoutMs);
    if (!this.#timer) this.#arm();
  }

  delete(item: T): void {
    this.#deadlines.delete(item);
    if (this.#deadlines.size === 0) this.clear();
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
    this.#armedFor = oldest.value;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, this.#armedFor - performance.now()) + 1);
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
