import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Outcome, runClientConformance } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { failures, named } from './support/expectations.js';
import { libraryDialer } from './support/library-dialer.js';

// The library's dialer (TcpChanger) passes every client case: in-process for
// the whole list, and as the CLI in its own process, through the dialer
// contract's environment, for a sample.

useCleanup();
const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));

describe('the library\'s dialer against the conformance kit', () => {
  it('passes every client case (TcpChanger, in-process)', async () => {
    const report = await runClientConformance(libraryDialer, { timeoutMs: 1_500, graceMs: 3_000 });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Skipped)).toEqual([]);
    expect(report.results.length).toBeGreaterThan(60);
  }, 120_000);

  it('passes them over TLS too (a sample)', async () => {
    const report = await runClientConformance(libraryDialer, {
      tls: { cert: readFileSync(fixture('server.crt')), key: readFileSync(fixture('server.key')), caFile: fixture('ca.crt') },
      only: ['dialer.hello', 'dialer.auth-answer', 'dialer.redirect', 'dialer.members', 'dialer.busy'],
    });
    expect(report.results.map((r) => r.outcome)).toEqual(Array(5).fill(Outcome.Ok));
  }, 60_000);

  it('passes a sample as the raft-membership CLI, run as a command through the dialer contract', async () => {
    const cli = `${process.execPath} --import tsx ${fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))}`;
    process.env.RFTM_CLI = cli;
    try {
      const report = await runClientConformance([fileURLToPath(new URL('./support/cli-dialer.sh', import.meta.url))], {
        timeoutMs: 3_000,
        graceMs: 10_000,
        concurrency: 2,
        only: ['dialer.request-join', 'dialer.success', 'dialer.members', 'dialer.auth-answer', 'dialer.redirect', 'dialer.bad-request'],
      });
      expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
      expect(named(report, Outcome.Ok)).toHaveLength(6);
    } finally {
      delete process.env.RFTM_CLI;
    }
  }, 120_000);
});
