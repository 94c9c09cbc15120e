import { describe, expect, it } from 'vitest';
import { GROUPS, formatReport, runBench } from '../../bench/run.js';
import { expectNoLeaks, resourceBaseline } from '../support/resources.js';

// Runs every scenario with tiny counts so that the bench cannot rot. It
// asserts that the numbers are sane, never how fast anything is.
describe('npm run bench --smoke', () => {
  it('runs every scenario and reports sane figures, leaving nothing open', async () => {
    const baseline = resourceBaseline();
    const report = await runBench({ smoke: true, only: [] });
    expect(report.scenarios.map((s) => s.name).sort()).toEqual(GROUPS.flatMap((g) => g.scenarios).sort());
    for (const s of report.scenarios) {
      expect(s.opsPerSec, s.name).toBeGreaterThan(0);
      expect(s.ops, s.name).toBeGreaterThan(0);
      expect(s.p50Us, s.name).toBeGreaterThan(0);
      expect(s.p50Us, s.name).toBeLessThanOrEqual(s.p99Us);
      for (const [key, value] of Object.entries(s.extra ?? {})) expect(Number.isFinite(value), `${s.name} ${key}`).toBe(true);
    }
    for (const r of report.ratios) expect(r.value, r.name).toBeGreaterThan(0);
    expect(formatReport(report)).toContain('tcp-join');
    await expectNoLeaks(baseline);
  }, 30_000);

  it('runs one scenario by name and refuses unknown ones', async () => {
    const report = await runBench({ smoke: true, only: ['codec-decode-join'] });
    expect(report.scenarios.map((s) => s.name)).toEqual(['codec-decode-join']);
    await expect(runBench({ smoke: true, only: ['nope'] })).rejects.toThrow(/unknown scenario/);
  });
});
