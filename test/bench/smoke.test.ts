import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GROUPS, formatReport, runBench } from '../../bench/run.js';
import { expectNoLeaks, resourceBaseline } from '../support/resources.js';

/** Live child processes of this one, from /proc (the bench starts servers in their own processes). */
function children(): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      // The fields after the command's name: state, then the parent's pid.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && state !== 'Z') found.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // gone while we looked
    }
  }
  return found;
}

// Runs every scenario with tiny counts so that the bench cannot rot. It
// asserts that the numbers are sane, never how fast anything is.
describe('npm run bench --smoke', () => {
  it('runs every scenario and reports sane figures, leaving nothing open', async () => {
    const baseline = resourceBaseline();
    const before = children();
    const report = await runBench({ smoke: true, only: [] });
    expect(children()).toEqual(before);
    expect(report.scenarios.map((s) => s.name).sort()).toEqual(GROUPS.flatMap((g) => g.scenarios).sort());
    for (const s of report.scenarios) {
      expect(s.opsPerSec, s.name).toBeGreaterThan(0);
      expect(s.ops, s.name).toBeGreaterThan(0);
      expect(s.p50Us, s.name).toBeGreaterThan(0);
      expect(s.p50Us, s.name).toBeLessThanOrEqual(s.p99Us);
      for (const [key, value] of Object.entries(s.extra ?? {})) expect(Number.isFinite(value), `${s.name} ${key}`).toBe(true);
    }
    for (const r of report.ratios) expect(r.value, r.name).toBeGreaterThan(0);
    const text = formatReport(report);
    for (const name of ['tcp-join-2p', 'members-1000-2p', 'pipelined-floor-2p-64', 'raft-join-leave-4p']) expect(text).toContain(name);
    // The separate-process scenarios report both processes' CPU per request.
    const remote = report.scenarios.find((s) => s.name === 'pipelined-join-2p-64');
    expect(Object.keys(remote?.extra ?? {})).toEqual(expect.arrayContaining(['cliUserUs', 'srvUserUs']));
    await expectNoLeaks(baseline);
  }, 60_000);

  it('runs one scenario by name and refuses unknown ones', async () => {
    const report = await runBench({ smoke: true, only: ['codec-decode-join'] });
    expect(report.scenarios.map((s) => s.name)).toEqual(['codec-decode-join']);
    await expect(runBench({ smoke: true, only: ['nope'] })).rejects.toThrow(/unknown scenario/);
  });
});
