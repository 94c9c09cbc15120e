/**
 * `npm run bench [-- --json] [-- --smoke] [-- --only NAME[,NAME...]] [-- --profile DIR]`
 *
 * Runs every scenario group (or those named: a scenario or a group name),
 * prints a table of figures and the ratios measured in the same run, or with
 * `--json` one JSON object. `--smoke` uses tiny counts: it proves that each
 * scenario runs and says nothing about speed. `--profile DIR` starts every
 * child process with `--cpu-prof` writing into DIR (run the conductor itself
 * under `node --cpu-prof` to profile the client side too).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BenchConfig, Ratio, ScenarioGroup, ScenarioResult } from './harness.js';
import { codecGroup } from './scenarios/codec.js';
import { profileChildrenInto } from './processes/child.js';
import { latencyGroup } from './scenarios/latency.js';
import { latency2pGroup } from './scenarios/latency-2p.js';
import { memoryGroup } from './scenarios/memory.js';
import { pipelinedGroup } from './scenarios/pipelined.js';
import { raftGroup } from './scenarios/raft.js';
import { streamGroup } from './scenarios/stream.js';

/** Every group, in the order they run. */
export const GROUPS: readonly ScenarioGroup[] = [latencyGroup, latency2pGroup, pipelinedGroup, streamGroup, codecGroup, raftGroup, memoryGroup];

/** Where the figures came from. */
export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly node: string;
}

/** The whole run, as `--json` prints it. */
export interface BenchReport {
  readonly machine: Machine;
  readonly smoke: boolean;
  readonly scenarios: ScenarioResult[];
  readonly ratios: Ratio[];
}

export function machine(): Machine {
  let cpu = 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // Not Linux: the model stays unknown.
  }
  return { nproc: availableParallelism(), cpu, node: process.version };
}

/** Runs the selected scenarios; `only` empty means all. */
export async function runBench(config: BenchConfig, onGroup?: (group: string) => void): Promise<BenchReport> {
  const known = new Set(GROUPS.flatMap((g) => [g.name, ...g.scenarios]));
  const unknown = config.only.filter((name) => !known.has(name));
  if (unknown.length > 0) throw new Error(`unknown scenario or group: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  const scenarios: ScenarioResult[] = [];
  const ratios: Ratio[] = [];
  for (const group of GROUPS) {
    const selected = config.only.length === 0 || config.only.includes(group.name) ? group.scenarios : group.scenarios.filter((s) => config.only.includes(s));
    if (selected.length === 0) continue;
    onGroup?.(group.name);
    const report = await group.run(config, selected);
    scenarios.push(...report.results);
    ratios.push(...report.ratios);
  }
  return { machine: machine(), smoke: config.smoke, scenarios, ratios };
}

function parseArgs(argv: readonly string[]): BenchConfig & { json: boolean; profile: string | undefined } {
  let json = false;
  let smoke = false;
  let profile: string | undefined;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json') json = true;
    else if (arg === '--smoke') smoke = true;
    else if (arg === '--only' && argv[i + 1] !== undefined) only.push(...argv[++i]!.split(','));
    else if (arg.startsWith('--only=')) only.push(...arg.slice('--only='.length).split(','));
    else if (arg === '--profile' && argv[i + 1] !== undefined) profile = argv[++i]!;
    else throw new Error(`unknown argument ${arg}: use --json, --smoke, --only NAME[,NAME...], --profile DIR`);
  }
  return { json, smoke, only, profile };
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-');

/** The report as text tables. */
export function formatReport(report: BenchReport): string {
  const { machine: m } = report;
  const lines = [`${m.nproc} × ${m.cpu}, node ${m.node}${report.smoke ? ' (SMOKE: numbers mean nothing)' : ''}`, ''];
  const rows = [['scenario', 'ops/s', 'p50 µs', 'p99 µs', 'noise ops/p50', 'extra']];
  const pct = (n: number): string => `${fmt(n * 100, 0)}%`;
  for (const r of report.scenarios) {
    const extra = r.extra ? Object.entries(r.extra).map(([k, v]) => `${k}=${fmt(v, 2)}`).join(' ') : '';
    rows.push([r.name, fmt(r.opsPerSec, 0), fmt(r.p50Us), fmt(r.p99Us), r.rounds > 1 ? `${pct(r.noise.opsPerSec)} ${pct(r.noise.p50Us)}` : '', extra]);
  }
  lines.push(...table(rows), '');
  const ratioRows = [['ratio (median of rounds)', 'value', 'rounds min–max', 'target', 'met']];
  for (const r of report.ratios) {
    const spread = r.spread ? `${fmt(r.spread[0], 2)}–${fmt(r.spread[1], 2)}` : '';
    ratioRows.push([r.name, fmt(r.value, 2), spread, r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  }
  lines.push(...table(ratioRows));
  return lines.join('\n');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const { json, profile, ...config } = parseArgs(process.argv.slice(2));
  profileChildrenInto(profile);
  const report = await runBench(config, (group) => process.stderr.write(`running ${group}...\n`));
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
