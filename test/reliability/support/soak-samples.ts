/**
 * The soak's clock and table: samples memory (after a full GC) every
 * SOAK_SAMPLE_SECONDS for SOAK_SECONDS, prints a row each time, and judges
 * the growth after the warm-up. Shared by the FakeRaft and the raft mode.
 */
import { MB, memorySample, type MemorySample } from '../../support/memory.js';

export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

export const SECONDS = envNumber('SOAK_SECONDS', 60);
export const SAMPLE_SECONDS = envNumber('SOAK_SAMPLE_SECONDS', 5);
export const MAX_GROWTH_MB = envNumber('SOAK_MAX_GROWTH_MB', 16);
/** Samples before this are warm-up: the JIT, pools and buffers settle. */
export const WARM_UP_SECONDS = Math.min(10, SECONDS / 4);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the run reports at each sample, besides memory; `extra` columns are printed after the standard ones. */
export interface Reading {
  readonly changes: number;
  readonly connections: number;
  readonly extra?: Readonly<Record<string, number | string>>;
}

export interface Row extends Reading {
  readonly at: number;
  readonly sample: MemorySample;
}

/** Samples until SOAK_SECONDS have passed, printing the table as it goes. */
export async function sampleFor(read: () => Reading): Promise<Row[]> {
  const started = performance.now();
  const rows: Row[] = [];
  let header = false;
  let lastChanges = 0;
  let lastAt = 0;
  while (performance.now() - started < SECONDS * 1_000) {
    await sleep(Math.min(SAMPLE_SECONDS * 1_000, SECONDS * 1_000 - (performance.now() - started)));
    const at = (performance.now() - started) / 1_000;
    const sample = memorySample();
    const row: Row = { at, sample, ...read() };
    rows.push(row);
    const extra = Object.entries(row.extra ?? {});
    if (!header) {
      console.log(`   t (s)   changes   changes/s   heapUsed MB   buffers MB   RSS MB   connections${extra.map(([k]) => `   ${k}`).join('')}`);
      header = true;
    }
    const rate = (row.changes - lastChanges) / (at - lastAt);
    [lastChanges, lastAt] = [row.changes, at];
    console.log(
      [
        at.toFixed(1).padStart(8),
        String(row.changes).padStart(9),
        rate.toFixed(0).padStart(11),
        (sample.heapUsed / MB).toFixed(1).padStart(13),
        (sample.arrayBuffers / MB).toFixed(1).padStart(12),
        (sample.rss / MB).toFixed(1).padStart(8),
        String(row.connections).padStart(13),
        ...extra.map(([k, v]) => String(v).padStart(k.length + 3)),
      ].join(' '),
    );
  }
  return rows;
}

/**
 * Growth of the memory held after the warm-up: peak minus the first settled
 * sample, of `held(row)` (by default heap + buffers).
 */
export function growthAfterWarmUp(rows: readonly Row[], held: (row: Row) => number = (r) => r.sample.held): { baseline: number; peak: number; growthMB: number } {
  const settled = rows.filter((r) => r.at >= WARM_UP_SECONDS);
  const first = settled[0] ?? rows[0]!;
  const baseline = held(first);
  const peak = settled.reduce((max, r) => Math.max(max, held(r)), baseline);
  return { baseline, peak, growthMB: (peak - baseline) / MB };
}
