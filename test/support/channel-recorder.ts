import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach } from 'vitest';

/**
 * Returns a function that records what is published on a diagnostics
 * channel during a test; every subscription ends after the test.
 */
export function useChannelRecorder(): <T>(name: string) => T[] {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
  });
  return <T>(name: string): T[] => {
    const seen: T[] = [];
    const listener = (message: unknown): void => void seen.push(message as T);
    subscribe(name, listener);
    stops.push(() => unsubscribe(name, listener));
    return seen;
  };
}
