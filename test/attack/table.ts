/** The attack run's table, as printed by `npm run attack` and pasted into docs/reliability.md. */
import type { AttackResult } from './runner.js';
import { PHASES } from './verdict.js';

const MB = 1024 * 1024;

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** One row's cells. */
function cells(r: AttackResult): string[] {
  const calls = PHASES.map((p) => r.legit[p]);
  const ok = calls.reduce((n, s) => n + s.ok, 0);
  const failed = calls.reduce((n, s) => n + s.failed, 0);
  return [
    String(r.attack.number),
    r.attack.name,
    r.attack.target,
    `${ok}/${failed}`,
    ...calls.map((s) => (s.ok + s.failed === 0 ? '-' : `${ms(s.p50)}/${ms(s.p99)}`)),
    `${(r.rssAtStart / MB).toFixed(0)}→${(r.peakRss / MB).toFixed(0)}`,
    `${r.fdsAtStart}→${r.peakFds}`,
    `${r.cpuBefore.toFixed(0)}→${r.cpuDuring.toFixed(0)}`,
    Number.isNaN(r.loopDelayMs) ? '?' : ms(r.loopDelayMs),
    r.newTerms === undefined ? '-' : String(r.newTerms),
    r.failures.length === 0 ? 'pass' : 'FAIL',
  ];
}

const HEADER = [
  '#',
  'attack',
  'server',
  'legit ok/failed',
  'p50/p99 before (ms)',
  'p50/p99 during (ms)',
  'p50/p99 after (ms)',
  'RSS MB start→peak',
  'fds start→peak',
  'CPU % before→during',
  'worst loop delay (ms)',
  'new terms',
  'verdict',
];

/** A Markdown table of `results`. */
export function formatTable(results: readonly AttackResult[]): string {
  const rows = [HEADER, ...results.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (row: readonly string[]): string => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(HEADER), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The reasons each failed run failed, and the attackers' counters, one attack per paragraph. */
export function formatDetails(results: readonly AttackResult[]): string {
  return results
    .map((r) => {
      const head = `${r.attack.number} ${r.attack.name}: ${r.attack.summary}`;
      const stats = `   attackers: ${Object.entries(r.stats).map(([k, v]) => `${k} ${v}`).join(', ') || 'nothing reported'}`;
      const checks = r.checks.map((c) => `   check: ${c.what} = ${c.value} (${c.kind} ${c.limit})`);
      const failures = r.failures.map((f) => `   FAIL: ${f}`);
      return [head, stats, ...checks, ...failures].join('\n');
    })
    .join('\n');
}
