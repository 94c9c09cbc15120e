import { AbortError, ShuttingDownError } from '../membership/errors.js';

interface Taker<T> {
  resolve(item: T): void;
  reject(err: unknown): void;
}

/**
 * A queue between the server's connections and its one consumer: items are
 * pushed as they arrive and taken in order, by `shift()` or by iterating.
 * Once ended, waiting takers are rejected and iteration finishes after what
 * is left.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  readonly #takers: Taker<T>[] = [];
  #ended = false;

  /** Items waiting to be taken. */
  get size(): number {
    return this.#items.length;
  }

  /** Adds an item, handing it straight to a waiting taker if there is one. */
  push(item: T): void {
    if (this.#ended) throw new ShuttingDownError('queue is closed');
    const taker = this.#takers.shift();
    if (taker) taker.resolve(item);
    else this.#items.push(item);
  }

  /** Ends the queue; returns the items nobody took. */
  end(): T[] {
    this.#ended = true;
    for (const taker of this.#takers.splice(0)) taker.reject(new ShuttingDownError());
    return this.#items.splice(0);
  }

  /**
   * The next item; rejects once the queue is ended and empty, or on abort
   * with an {@link AbortError} saying what `waiting` was for, whose `cause`
   * is `signal.reason`.
   */
  shift(signal?: AbortSignal, waiting = 'waiting'): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#ended) return Promise.reject(new ShuttingDownError());
    const aborted = (): AbortError => new AbortError(`${waiting} was aborted`, { cause: signal?.reason });
    if (signal?.aborted) return Promise.reject(aborted());
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#takers.indexOf(taker);
        if (at >= 0) this.#takers.splice(at, 1);
        reject(aborted());
      };
      const taker: Taker<T> = {
        resolve: (item) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(item);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#takers.push(taker);
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.shift();
      } catch (err) {
        if (this.#ended && err instanceof ShuttingDownError) return;
        throw err;
      }
    }
  }
}
