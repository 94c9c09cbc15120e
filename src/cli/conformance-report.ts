import { writeFileSync } from 'node:fs';
import type { ConformanceReport } from '../index.js';
import { formatJUnit, formatJson, formatTable } from '../conformance/report.js';
import { ExitCode } from './common.js';

/** Options both sides take for their output. */
export const REPORT_OPTIONS = {
  json: { type: 'boolean', default: false },
  junit: { type: 'string' },
  strict: { type: 'boolean', default: false },
  only: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const REPORT_HELP = `  --only NAME[,NAME...]    run only these cases (a group: hello, frame., dialer.members…)
  --skip NAME[,NAME...]    leave these cases out
  --strict                 a NON-STRICT case fails the run too (exit 1)
  --json                   print the report as JSON instead of a table
  --junit FILE             also write the report as JUnit XML to FILE
  -h, --help               this help`;

/** `--only a,b --only c` as a list. */
export function names(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** Prints `report` as asked, writes the JUnit file, and returns the exit code. */
export function finish(report: ConformanceReport, values: { json: boolean; junit?: string | undefined; strict: boolean }): number {
  process.stdout.write(`${values.json ? formatJson(report) : formatTable(report)}\n`);
  if (values.junit !== undefined) writeFileSync(values.junit, formatJUnit(report));
  const broken = report.summary.failed > 0 || (values.strict && report.summary.nonStrict > 0);
  return broken ? ExitCode.Refused : ExitCode.Success;
}
