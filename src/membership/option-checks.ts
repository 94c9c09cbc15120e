import { inspect } from 'node:util';
import { InvalidOptionError } from './errors.js';

/** A day in milliseconds: the longest timeout any option takes. */
export const DAY_MS = 86_400_000;

/**
 * The shortest timeout accepted, for calls and for every `…TimeoutMs`
 * option: a smaller one is almost always seconds written where milliseconds
 * belong (`join(…, 5)`), which works on loopback and fails in production.
 */
export const MIN_TIMEOUT_MS = 100;

/** A value as an error message shows it: the value, then its type. */
export function describeValue(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  const type = Array.isArray(value) ? 'array' : typeof value;
  let shown = typeof value === 'string' ? JSON.stringify(value) : inspect(value, { depth: 1, breakLength: Number.POSITIVE_INFINITY, maxArrayLength: 4, maxStringLength: 60 });
  if (shown.length > 100) shown = `${shown.slice(0, 97)}...`;
  return `${shown} (${type})`;
}

/** An {@link InvalidOptionError} naming the argument, what it must be, and what it was. */
export function invalidOption(name: string, expected: string, value: unknown, hint = ''): InvalidOptionError {
  return new InvalidOptionError(`${name} must be ${expected}, got ${describeValue(value)}${hint}`);
}

/**
 * Checks an integer option; the error names it. An option whose name ends
 * in `TimeoutMs` is a timeout: its least value is {@link MIN_TIMEOUT_MS},
 * whatever `min` says, so that every timeout option keeps one rule.
 */
export function integerOption(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const chosen = value ?? fallback;
  if (name.endsWith('TimeoutMs')) return timeoutValue(name, chosen, true);
  if (!Number.isInteger(chosen) || chosen < min || chosen > max) throw invalidOption(name, `an integer from ${min} to ${max}`, chosen);
  return chosen;
}

/**
 * Checks a timeout in milliseconds, from {@link MIN_TIMEOUT_MS} to a day;
 * a value that looks like seconds gets the millisecond figure suggested.
 */
export function timeoutValue(name: string, value: unknown, integer = false): number {
  if (typeof value === 'number' && (integer ? Number.isInteger(value) : Number.isFinite(value)) && value >= MIN_TIMEOUT_MS && value <= DAY_MS) return value;
  const seconds = typeof value === 'number' && value > 0 && value < MIN_TIMEOUT_MS;
  const hint = seconds ? `: timeouts are in milliseconds (for ${value} seconds, write ${value * 1000})` : '';
  throw invalidOption(name, `${integer ? 'an integer number' : 'a number'} of milliseconds from ${MIN_TIMEOUT_MS} to ${DAY_MS}`, value, hint);
}

/** Turns a secret option into bytes, refusing an empty one. */
export function secretOption(secret: string | Uint8Array | undefined): Uint8Array | undefined {
  if (secret === undefined) return undefined;
  if (typeof secret !== 'string' && !(secret instanceof Uint8Array)) throw invalidOption('secret', 'a string or a Uint8Array', secret);
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (bytes.length === 0) throw new InvalidOptionError('secret must not be empty');
  return bytes;
}

/** Checks a cluster name option. */
export function clusterNameOption(name: string | undefined): string {
  const chosen = name ?? '';
  // A lone surrogate has no UTF-8 form: it would go out as U+FFFD, and two
  // names that differ only there would send the same bytes yet compare unequal.
  if (typeof chosen !== 'string' || Buffer.byteLength(chosen, 'utf8') > 255 || LONE_SURROGATE.test(chosen)) {
    throw invalidOption('clusterName', 'a string of at most 255 UTF-8 bytes, with no lone surrogate', chosen);
  }
  return chosen;
}

/** A UTF-16 surrogate not part of a pair. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Checks that a `tls` option is an object of `node:tls` options that
 * `usable` accepts (`tls.createSecureContext`, given by the transport: the
 * core imports no `node:tls`), so that a key that is not PEM, or not the
 * certificate's, is refused when the object is made rather than on every
 * connection, where a client would retry it until its deadline.
 */
export function tlsOption<T extends object>(tls: T | undefined, usable: (tls: T) => unknown): T | undefined {
  if (tls === undefined) return tls;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) throw invalidOption('tls', 'an object of node:tls options', tls);
  try {
    usable(tls);
  } catch (err) {
    throw new InvalidOptionError(`tls: node:tls cannot use these options: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  return tls;
}

/** Checks that an options argument is an object (or absent) and returns it. */
export function optionsObject<T extends object>(what: string, options: T | null | undefined): T | Record<never, never> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw invalidOption(what, 'an object', options);
  return options;
}

const known = new WeakMap<object, readonly string[]>();
/** Set while a resolver runs on its sample to learn its keys: no checks then. */
let deriving = false;

/**
 * Throws {@link InvalidOptionError} for a key of `options` that `resolve`
 * does not know, suggesting the nearest known one (`timout` → `timeoutMs`).
 * The known keys are those of what `resolve` returns for `sample`, learned
 * once: a new option needs no list of its own. `resolve` may call this
 * itself, first thing.
 */
export function checkOptionKeys(what: string, options: object, resolve: (sample: never) => object, sample: object = {}): void {
  if (deriving) return;
  for (const key of Object.keys(options)) {
    const keys = knownKeys(resolve, sample);
    if (keys.includes(key)) continue;
    const nearest = nearestKey(key, keys);
    throw new InvalidOptionError(`unknown option ${JSON.stringify(key)} in ${what}${nearest ? `: did you mean ${JSON.stringify(nearest)}?` : ''} (known: ${keys.join(', ')})`);
  }
}

function knownKeys(resolve: (sample: never) => object, sample: object): readonly string[] {
  let keys = known.get(resolve);
  if (!keys) {
    deriving = true;
    try {
      keys = Object.keys(resolve(sample as never));
    } finally {
      deriving = false;
    }
    known.set(resolve, keys);
  }
  return keys;
}

/** The known key nearest to `key` in spelling (ignoring case and a `Ms` suffix), if one is near enough. */
function nearestKey(key: string, keys: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of keys) {
    const lower = candidate.toLowerCase();
    const distance = Math.min(editDistance(wanted, lower), editDistance(wanted, lower.replace(/ms$/, '')));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const above = rows[i - 1]!;
      let cost = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cost = Math.min(cost, rows[i - 2]![j - 2]! + 1);
      row.push(cost);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
