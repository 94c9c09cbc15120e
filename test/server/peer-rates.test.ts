import { describe, expect, it } from 'vitest';
import { MIN_WAIT_MS, PeerRates } from '../../src/server/peer-rates.js';

describe('PeerRates', () => {
  it('lets a peer make its burst at once, then one request per 1/rate seconds', () => {
    const rates = new PeerRates(100, 3);
    expect([rates.take('a', 0), rates.take('a', 0), rates.take('a', 0)]).toEqual([0, 0, 0]);
    // Empty: the next token is due in 10 ms, but a peer is woken no more often than MIN_WAIT_MS.
    expect(rates.take('a', 0)).toBe(MIN_WAIT_MS);
    expect(rates.take('a', 10)).toBe(0);
    expect(rates.take('a', 10)).toBeGreaterThan(0);
    // Tokens gather while the peer waits, up to its burst.
    expect([rates.take('a', 1_000), rates.take('a', 1_000), rates.take('a', 1_000)]).toEqual([0, 0, 0]);
    expect(rates.take('a', 1_000)).toBeGreaterThan(0);
  });

  it('asks a slow rate to wait until its next token is due', () => {
    const rates = new PeerRates(2, 1);
    expect(rates.take('a', 0)).toBe(0);
    expect(rates.take('a', 0)).toBe(500);
    expect(rates.take('a', 400)).toBe(100);
    expect(rates.take('a', 500)).toBe(0);
  });

  it('keeps one bucket per peer: a flooding peer does not spend another peer\'s tokens', () => {
    const rates = new PeerRates(10, 2);
    rates.take('flood', 0);
    rates.take('flood', 0);
    expect(rates.take('flood', 0)).toBeGreaterThan(0);
    expect(rates.take('quiet', 0)).toBe(0);
  });

  it('limits nothing at a rate of Infinity', () => {
    const rates = new PeerRates(Infinity, 1);
    expect(rates.limited).toBe(false);
    for (let i = 0; i < 10_000; i++) expect(rates.take('a', 0)).toBe(0);
    expect(rates.size).toBe(0);
  });

  it('forgets the buckets that filled up again, so that many peers over time do not grow the map', () => {
    const rates = new PeerRates(1_000, 10);
    for (let i = 0; i < 10_000; i++) rates.take(`10.0.${i >> 8}.${i & 255}`, i / 1_000);
    // Each peer's bucket is full 10 ms after its request: only the latest few thousand survive a sweep.
    expect(rates.size).toBeLessThan(5_000);
    expect(rates.size).toBeGreaterThan(0);
  });
});
