import type { Parameters } from 'fast-check';

/**
 * Run parameters for every property test: FC_SEED=<n> replays a run (fast-check
 * prints the seed and path of any failure).
 */
export function fcParams<T>(extra: Parameters<T> = {}): Parameters<T> {
  const seed = process.env.FC_SEED;
  if (seed === undefined || seed === '') return extra;
  const parsed = Number(seed);
  if (!Number.isInteger(parsed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(seed)}`);
  console.info(`fast-check seed from FC_SEED: ${parsed}`);
  return { ...extra, seed: parsed };
}
