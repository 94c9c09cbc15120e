import { expect } from 'vitest';

/**
 * Awaits `call`, which must reject with an error of `type` in under half of
 * `deadlineMs`, the call's own deadline: a failure named at once, not one
 * found when the deadline ran out.
 */
export async function promptFailure<T extends Error>(call: Promise<unknown>, type: new (...args: never[]) => T, deadlineMs: number): Promise<T> {
  const started = performance.now();
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect(performance.now() - started).toBeLessThan(deadlineMs / 2);
  return err as T;
}
