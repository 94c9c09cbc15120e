import { InvalidOptionError } from './errors.js';

/** A day in milliseconds: the longest timeout any option takes. */
export const DAY_MS = 86_400_000;

/** Checks an integer option; the error names it. */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
    throw new InvalidOptionError(`${name} must be an integer from ${min} to ${max}, got ${String(chosen)}`);
  }
  return chosen;
}

/** Turns a secret option into bytes, refusing an empty one. */
export function secretOption(secret: string | Uint8Array | undefined): Uint8Array | undefined {
  if (secret === undefined) return undefined;
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length === 0) throw new InvalidOptionError('secret must not be empty');
  return bytes;
}

/** Checks a cluster name option. */
export function clusterNameOption(name: string | undefined): string {
  const chosen = name ?? '';
  if (typeof chosen !== 'string' || Buffer.byteLength(chosen, 'utf8') > 255) {
    throw new InvalidOptionError('clusterName must be a string of at most 255 UTF-8 bytes');
  }
  return chosen;
}
