/**
 * `node .bench-build/bench/compare.js BASE [--runs N] [RUN ARGS...]`
 *
 * Before and after, from the same session: builds git revision BASE (with
 * `git archive`, into a temporary directory) and the working tree, then runs
 * the bench of each in turn, alternating which goes first, N times (3 by
 * default) with the given arguments (`--only ...`), and prints the median
 * of each figure for both and their ratio. This is how optimisation commits
 * get their figures.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './harness.js';
import type { BenchReport } from './run.js';

/** Every figure of a report by a name: `scenario ops/s`, `scenario p50 µs`, `scenario extra`, ratios by name. */
export function figures(report: BenchReport): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of report.scenarios) {
    out.set(`${s.name} ops/s`, s.opsPerSec);
    out.set(`${s.name} p50 µs`, s.p50Us);
    out.set(`${s.name} p99 µs`, s.p99Us);
    for (const [key, value] of Object.entries(s.extra ?? {})) out.set(`${s.name} ${key}`, value);
  }
  for (const r of report.ratios) out.set(r.name, r.value);
  return out;
}

function build(dir: string): void {
  execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json'], { cwd: dir, stdio: 'inherit' });
}

function runOnce(dir: string, args: readonly string[]): BenchReport {
  const out = execFileSync(process.execPath, [join(dir, '.bench-build/bench/run.js'), '--json', ...args], { cwd: dir, maxBuffer: 64 * 2 ** 20, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.toString('utf8')) as BenchReport;
}

function main(argv: readonly string[]): void {
  const base = argv[0];
  if (!base || base.startsWith('--')) throw new Error('usage: compare BASE_REVISION [--runs N] [bench arguments]');
  let runs = 3;
  const args: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else args.push(argv[i]!);
  }
  const baseDir = mkdtempSync(join(tmpdir(), 'bench-base-'));
  try {
    execSync(`git archive ${base} | tar -x -C ${baseDir}`, { stdio: 'inherit' });
    symlinkSync(resolve('node_modules'), join(baseDir, 'node_modules'));
    build(baseDir);
    build('.');
    const seen = { base: [] as Map<string, number>[], current: [] as Map<string, number>[] };
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? (['base', 'current'] as const) : (['current', 'base'] as const);
      for (const side of order) {
        process.stderr.write(`run ${i + 1}/${runs}: ${side}\n`);
        seen[side].push(figures(runOnce(side === 'base' ? baseDir : '.', args)));
      }
    }
    const names = [...new Set(seen.current.flatMap((m) => [...m.keys()]))];
    const med = (side: Map<string, number>[], name: string): number => median(side.map((m) => m.get(name)).filter((v): v is number => v !== undefined));
    const rows = names.map((name) => {
      const before = med(seen.base, name);
      const after = med(seen.current, name);
      return [name, fmt(before), fmt(after), fmt(after / before, 2)];
    });
    console.log(`medians of ${runs} runs each, alternating; base ${base}\n`);
    const table = [['figure', 'base', 'current', 'current/base'], ...rows];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const row of table) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
  }
}

const fmt = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-');

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.slice(2));
