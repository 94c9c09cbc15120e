/**
 * Judging a run: the legitimate client's latency by phase, and the pass
 * criteria of issue 12 (no failed call; p99 during at most 10× before; the
 * server's memory and descriptors within bounds; no new leader), plus each
 * attack's own checks.
 */
import type { AttackerStats, ExtraCheck } from './attack.js';
import type { CallRecord } from './processes/legit-client.js';
import type { Bounds } from './profile.js';

/** The phases of a run, in order. */
export const PHASES = ['before', 'during', 'after'] as const;
export type Phase = (typeof PHASES)[number];

/** The legitimate client's calls in one phase. */
export interface PhaseStats {
  readonly ok: number;
  readonly failed: number;
  /** Calls still waiting when the run ended: neither ok nor failed, but their wait so far counts in the latencies. */
  readonly cut: number;
  readonly p50: number;
  readonly p99: number;
  readonly firstError?: string;
}

/** The `q`-quantile (nearest rank) of `values`; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The calls that started in `phase`, summed up. */
export function phaseStats(records: readonly CallRecord[], phase: Phase): PhaseStats {
  const calls = records.filter((r) => r.phase === phase);
  const ms = calls.map((r) => r.ms);
  const cut = calls.filter((r) => r.cut);
  const failed = calls.filter((r) => !r.ok && !r.cut);
  return {
    ok: calls.length - failed.length - cut.length,
    failed: failed.length,
    cut: cut.length,
    p50: quantile(ms, 0.5),
    p99: quantile(ms, 0.99),
    ...(failed[0]?.error === undefined ? {} : { firstError: `${failed[0].kind}: ${failed[0].error}` }),
  };
}

/** Sums the attackers' counters; `max*` counters take the largest instead. */
export function mergeStats(all: readonly AttackerStats[]): AttackerStats {
  const out: AttackerStats = {};
  for (const stats of all) {
    for (const [name, value] of Object.entries(stats)) {
      out[name] = name.startsWith('max') ? Math.max(out[name] ?? 0, value) : (out[name] ?? 0) + value;
    }
  }
  return out;
}

/** What a run observed, to be judged. */
export interface Observations {
  readonly legit: Readonly<Record<Phase, PhaseStats>>;
  readonly rssAtStart: number;
  readonly peakRss: number;
  readonly fdsAtStart: number;
  readonly peakFds: number;
  /** The highest term when the attack began and at the end; undefined without raft. */
  readonly termAtStart?: number;
  readonly termAtEnd?: number;
  readonly checks: readonly ExtraCheck[];
}

const MB = 1024 * 1024;

/** Every criterion the run failed, in words; empty when it passed. */
export function judge(observed: Observations, bounds: Bounds): string[] {
  const failures: string[] = [];
  for (const phase of PHASES) {
    const { failed, firstError } = observed.legit[phase];
    if (failed > 0) failures.push(`${failed} legitimate call(s) failed ${phase} the attack (${firstError})`);
  }
  const before = observed.legit.before.p99;
  const during = observed.legit.during.p99;
  const limit = Math.max(bounds.p99Factor * before, bounds.p99FloorMs);
  if (observed.legit.during.ok + observed.legit.during.failed === 0) failures.push('no legitimate call was made during the attack');
  else if (during > limit) {
    failures.push(`legitimate p99 during the attack ${during.toFixed(1)} ms > ${limit.toFixed(1)} ms (${bounds.p99Factor}× ${before.toFixed(1)} ms before, floor ${bounds.p99FloorMs} ms)`);
  }
  const held = Math.max(0, observed.peakFds - observed.fdsAtStart);
  const growth = (observed.peakRss - observed.rssAtStart) / MB;
  const allowed = bounds.rssSlackMb + (held * bounds.perConnectionBytes) / MB;
  if (growth > allowed) {
    failures.push(
      `server RSS grew by ${growth.toFixed(0)} MB > ${allowed.toFixed(0)} MB (${held} connections × ${(bounds.perConnectionBytes / 1024).toFixed(0)} KiB + ${bounds.rssSlackMb} MB)`,
    );
  }
  if (held > bounds.extraFds) failures.push(`server opened ${held} descriptors more during the attack > ${bounds.extraFds}`);
  if (observed.termAtStart !== undefined && observed.termAtEnd !== undefined && observed.termAtEnd > observed.termAtStart) {
    failures.push(`the cluster lost its leader: term ${observed.termAtStart} → ${observed.termAtEnd}`);
  }
  for (const check of observed.checks) {
    if (check.kind === 'max' && check.value > check.limit) failures.push(`${check.what}: ${check.value} > ${check.limit}`);
    if (check.kind === 'min' && check.value < check.limit) failures.push(`${check.what}: ${check.value} < ${check.limit} (the attack did not take effect)`);
  }
  return failures;
}
