/**
 * Reference raft engine (not part of the published API): bounded waits for
 * a condition on the node's state.
 */

interface Waiter {
  /** Re-evaluates the condition; true once the waiter has settled. */
  readonly poll: () => boolean;
  readonly timer: NodeJS.Timeout;
}

/**
 * Promises that settle when a condition on the node holds. The node calls
 * `notify()` after every change that could matter (commit index, state,
 * a peer's progress); each wait has its own deadline, so none hangs.
 */
export class Conditions {
  readonly #waiters = new Set<Waiter>();

  /**
   * Resolves to the first value `check` returns other than `undefined`, or
   * rejects with what `check` throws, or with `onTimeout()` after
   * `timeoutMs`.
   */
  wait<T>(check: () => T | undefined, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (waiter: Waiter): void => {
        clearTimeout(waiter.timer);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        poll: () => {
          try {
            const value = check();
            if (value === undefined) return false;
            settle(waiter);
            resolve(value);
          } catch (error) {
            settle(waiter);
            reject(error as Error);
          }
          return true;
        },
        timer: setTimeout(() => {
          settle(waiter);
          reject(onTimeout());
        }, Math.max(0, timeoutMs)),
      };
      if (!waiter.poll()) this.#waiters.add(waiter);
    });
  }

  /** Re-evaluates every pending condition. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter.poll();
  }
}
