import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, whether or not node runs with --expose-gc:
 * memory figures taken without one measure garbage as much as growth.
 */
export const collectGarbage: () => void = (() => {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** What a memory bound is checked on: the JS heap plus Buffers outside it. */
export interface MemorySample {
  readonly heapUsed: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  /** heapUsed + arrayBuffers: what unbounded buffering would grow. */
  readonly held: number;
}

/** Memory in use now, after a full collection. */
export function memorySample(): MemorySample {
  collectGarbage();
  collectGarbage();
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heapUsed, arrayBuffers, rss, held: heapUsed + arrayBuffers };
}

export const MB = 1024 * 1024;
