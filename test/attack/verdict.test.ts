import { describe, expect, it } from 'vitest';
import { expectedMembership } from './churn.js';
import type { CallRecord } from './processes/legit-client.js';
import { judge, mergeStats, phaseStats, quantile, type Observations } from './verdict.js';

const MB = 1024 * 1024;
const bounds = { p99Factor: 10, p99FloorMs: 0, perConnectionBytes: 1 * MB, rssSlackMb: 64, extraFds: 1_088 };

function call(phase: string, ms: number, ok = true, cut = false): CallRecord {
  return { phase, kind: 'join', ms, ok, ...(cut ? { cut } : {}), ...(ok ? {} : { error: 'MembershipTimeoutError: late' }) };
}

function observed(records: CallRecord[], more: Partial<Observations> = {}): Observations {
  return {
    legit: { before: phaseStats(records, 'before'), during: phaseStats(records, 'during'), after: phaseStats(records, 'after') },
    rssAtStart: 100 * MB,
    peakRss: 110 * MB,
    fdsAtStart: 30,
    peakFds: 100,
    checks: [],
    ...more,
  };
}

describe('attack verdicts', () => {
  it('allows the documented memory per connection held, and no more descriptors than the limits', () => {
    const records = [call('before', 2), call('during', 3)];
    // 1,000 connections held at 1 MiB each allow 1,064 MB of growth.
    expect(judge(observed(records, { peakRss: 1_100 * MB, peakFds: 1_030 }), bounds)).toEqual([]);
    // 1,100 held: 1,164 MB allowed, but 1,100 descriptors are more than 1,088.
    expect(judge(observed(records, { peakRss: 1_200 * MB, peakFds: 1_130 }), bounds)).toEqual(['server opened 1100 descriptors more during the attack > 1088']);
  });

  it('takes nearest-rank quantiles', () => {
    expect(quantile([], 0.99)).toBe(0);
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile(Array.from({ length: 200 }, (_, i) => i + 1), 0.99)).toBe(198);
  });

  it('passes a run whose calls all succeed within 10× the p99 before', () => {
    const records = [call('before', 2), call('before', 4), call('during', 39), call('after', 3)];
    expect(judge(observed(records), bounds)).toEqual([]);
  });

  it('fails a failed call, a p99 past 10×, memory, descriptors, a new term and an attack check, each in words', () => {
    const records = [call('before', 2), call('during', 21), call('after', 5000, false)];
    const failures = judge(
      observed(records, {
        peakRss: 200 * MB,
        peakFds: 40,
        termAtStart: 2,
        termAtEnd: 3,
        checks: [{ what: 'junk joined', value: 3, limit: 60, kind: 'min' }],
      }),
      bounds,
    );
    expect(failures).toEqual([
      '1 legitimate call(s) failed after the attack (join: MembershipTimeoutError: late)',
      'legitimate p99 during the attack 21.0 ms > 20.0 ms (10× 2.0 ms before, floor 0 ms)',
      'server RSS grew by 100 MB > 74 MB (10 connections × 1024 KiB + 64 MB)',
      'the cluster lost its leader: term 2 → 3',
      'junk joined: 3 < 60 (the attack did not take effect)',
    ]);
  });

  it('counts a call cut by the end of the run neither way, but its wait in the latencies', () => {
    const stats = phaseStats([call('during', 10), call('during', 900, false, true)], 'during');
    expect(stats).toMatchObject({ ok: 1, failed: 0, cut: 1, p99: 900 });
  });

  it('sums counters but keeps the largest of max* ones', () => {
    expect(mergeStats([{ opened: 2, maxLateMs: 10 }, { opened: 3, maxLateMs: 7 }])).toEqual({ opened: 5, maxLateMs: 10 });
  });

  it('decides membership from the last acknowledged call; an ambiguous one leaves it unknown', () => {
    const expected = expectedMembership([
      { id: 'a', op: 'join', verdict: 'ok', ms: 1 },
      { id: 'b', op: 'join', verdict: 'ok', ms: 1 },
      { id: 'b', op: 'leave', verdict: 'ambiguous', ms: 1 },
      { id: 'c', op: 'join', verdict: 'refused', ms: 1 },
      { id: 'a', op: 'leave', verdict: 'refused', ms: 1 },
    ]);
    expect(Object.fromEntries(expected)).toEqual({ a: true, b: 'unknown', c: false });
  });
});
