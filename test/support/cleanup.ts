import { afterEach } from 'vitest';
import { expectNoLeaks, resourceBaseline } from './resources.js';

type Closer = () => unknown;

/**
 * Registers what a test opens so that it is closed after the test, in
 * reverse order, and then checks that nothing was left open.
 */
export function useCleanup(): <T>(resource: T, close: (resource: T) => unknown) => T {
  let closers: Closer[] = [];
  let baseline = resourceBaseline();
  afterEach(async () => {
    const toClose = closers.reverse();
    closers = [];
    for (const close of toClose) await close();
    await expectNoLeaks(baseline);
    baseline = resourceBaseline();
  });
  return (resource, close) => {
    if (closers.length === 0) baseline = resourceBaseline();
    closers.push(() => close(resource));
    return resource;
  };
}
