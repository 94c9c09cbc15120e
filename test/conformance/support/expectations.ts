import type { ConformanceReport } from '../../../src/index.js';

/** Limits the kit is told about, and the servers are given, so that it can check them (§5, §9). */
export const LIMITS = { preambleTimeoutMs: 400, idleTimeoutMs: 600, maxConnections: 24, frameTimeoutMs: 500 } as const;

/** The names of the results with an outcome in `outcomes`. */
export function named(report: ConformanceReport, ...outcomes: string[]): string[] {
  return report.results.filter((r) => outcomes.includes(r.outcome)).map((r) => r.name);
}

/** True when `name` is in `list`, an entry ending in `.` naming a whole group. */
export function listed(list: readonly string[], name: string): boolean {
  return list.some((entry) => name === entry || (entry.endsWith('.') && name.startsWith(entry)));
}

/** The failed cases in full, for an assertion's message. */
export function failures(report: ConformanceReport): string {
  return JSON.stringify(report.results.filter((r) => r.outcome === 'FAILED' || r.outcome === 'NON-STRICT').map((r) => `${r.name}: ${r.observed}`), null, 1);
}
