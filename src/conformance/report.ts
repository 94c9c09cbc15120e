import { Outcome, type ConformanceCaseResult, type ConformanceReport } from './case.js';

/** Where a result's rule is: `§2 row 6`. */
export function citation(result: Pick<ConformanceCaseResult, 'section' | 'row'>): string {
  return result.row === undefined ? result.section : `${result.section} row ${result.row}`;
}

/** A report as a table for people: one line per case, then the summary and the notes. */
export function formatTable(report: ConformanceReport): string {
  const rows = report.results.map((r) => [r.outcome, r.name, citation(r), r.requirement, r.observed.replace(/\s+/g, ' ')]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length), 0));
  const lines = rows.map((row) => row.map((cell, column) => (column < 4 ? cell.padEnd(widths[column]!) : cell)).join('  '));
  const { summary } = report;
  const verdict = report.passed ? 'PASSED: no MUST is broken' : `FAILED: ${summary.failed} MUST ${summary.failed === 1 ? 'rule is' : 'rules are'} broken`;
  return [
    `${report.side === 'server' ? 'server' : 'dialer'} conformance of ${report.subject}`,
    '',
    ...lines,
    '',
    `${summary.total} cases: ${summary.ok} OK, ${summary.nonStrict} NON-STRICT, ${summary.informational} INFORMATIONAL, ${summary.failed} FAILED, ${summary.skipped} SKIPPED (${(report.durationMs / 1000).toFixed(1)} s)`,
    ...report.notes.map((note) => `note: ${note}`),
    verdict,
  ].join('\n');
}

/** A report as JSON: the {@link ConformanceReport} itself. */
export function formatJson(report: ConformanceReport): string {
  return JSON.stringify(report, null, 2);
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/**
 * A report as JUnit XML, for CI: one test case per conformance case
 * (classname: the case's group, `hello`, `frame`…). FAILED is a failure,
 * SKIPPED is skipped; OK, NON-STRICT and INFORMATIONAL pass, with what was
 * seen in `system-out` and the outcome as a property.
 */
export function formatJUnit(report: ConformanceReport): string {
  const { summary } = report;
  const suite = `${report.side}: ${report.subject}`;
  const cases = report.results.map((r) => {
    const name = escapeXml(`${r.name} (${citation(r)}, ${r.requirement})`);
    const classname = escapeXml(`${report.side}.${r.name.split('.')[0]}`);
    const time = (r.durationMs / 1000).toFixed(3);
    const observed = escapeXml(r.observed);
    const body =
      r.outcome === Outcome.Failed
        ? `<failure message="${observed}">${escapeXml(r.description)}</failure>`
        : r.outcome === Outcome.Skipped
          ? `<skipped message="${observed}"/>`
          : `<properties><property name="outcome" value="${r.outcome}"/></properties><system-out>${r.outcome}: ${observed}</system-out>`;
    return `    <testcase classname="${classname}" name="${name}" time="${time}">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="raft-membership conformance" tests="${summary.total}" failures="${summary.failed}" skipped="${summary.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${summary.total}" failures="${summary.failed}" errors="0" skipped="${summary.skipped}" time="${(report.durationMs / 1000).toFixed(3)}" timestamp="${report.startedAt}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
