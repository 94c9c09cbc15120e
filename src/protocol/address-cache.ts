import { parseAddress as parseAddressUncached, type HostPort } from '../membership/address.js';
import type { ServerAddress } from '../membership/types.js';

/** Distinct valid addresses remembered: a `members` page of 1,000 servers fits. */
export const ADDRESS_CACHE_SIZE = 4_096;

const valid = new Map<ServerAddress, HostPort>();

/**
 * `parseAddress` (src/membership/address.ts), remembering the addresses it
 * found valid: the same few addresses come in every join, answer and
 * members page, and checking one against the grammar costs more than the
 * rest of decoding its message. An invalid address is never remembered: it
 * throws the same error every time. When full, the cache starts over, so a
 * peer sending ever new addresses costs what it did without a cache.
 */
export function parseAddress(address: ServerAddress): HostPort {
  const known = valid.get(address);
  if (known !== undefined) return known;
  const parsed = Object.freeze(parseAddressUncached(address));
  if (valid.size >= ADDRESS_CACHE_SIZE) valid.clear();
  valid.set(address, parsed);
  return parsed;
}

/** Whether `address` is a valid address, by {@link parseAddress} (remembered when it is). */
export function isAddress(address: string): boolean {
  try {
    parseAddress(address);
    return true;
  } catch {
    return false;
  }
}
