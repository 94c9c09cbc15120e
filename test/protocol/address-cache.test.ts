import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress as uncached } from '../../src/membership/address.js';
import { ADDRESS_CACHE_SIZE, parseAddress } from '../../src/protocol/address-cache.js';
import { fcParams } from '../support/fc.js';

function outcome(parse: (address: string) => unknown, address: string): unknown {
  try {
    return { value: parse(address) };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
}

describe('parseAddress with a cache of valid addresses', () => {
  it('answers as parseAddress does, the first time and every time after (property)', () => {
    const address = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.tuple(fc.constantFrom('10.0.0.1', '[fd00::3]', 'node-1', '010.0.0.1', 'a..b', '[::1', ''), fc.oneof(fc.nat({ max: 70_000 }).map(String), fc.constantFrom('07000', 'x', ''))).map(([h, p]) => `${h}:${p}`),
    );
    fc.assert(
      fc.property(address, (text) => {
        const expected = outcome(uncached, text);
        expect(outcome(parseAddress, text)).toEqual(expected);
        expect(outcome(parseAddress, text)).toEqual(expected);
      }),
      fcParams({ numRuns: 2_000 }),
    );
  });

  it(`stays right past ${ADDRESS_CACHE_SIZE} distinct addresses`, () => {
    for (let i = 0; i < ADDRESS_CACHE_SIZE * 2 + 10; i++) expect(parseAddress(`10.0.${i >> 8 & 255}.${i & 255}:${1 + (i >> 16)}`).port).toBe(1 + (i >> 16));
    expect(() => parseAddress('10.0.0.256:7000')).toThrow(/not an IPv4 address/);
  });
});
