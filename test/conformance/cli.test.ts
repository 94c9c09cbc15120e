import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { RewritingProxy } from './support/rewriting-proxy.js';

// `raft-membership conformance`, run as a user runs it: its own process.

const use = useCleanup();
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const PY_DIALER = fileURLToPath(new URL('../../interop/python/conformance_dialer.py', import.meta.url));
const noPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, 'conformance', ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function target(): Promise<string> {
  const raft = new FakeRaft({ nonvoters: true });
  const served = use(await serve({}, raft), (c) => c.close());
  served.server.serveConfiguration(raft);
  return served.address;
}

describe('raft-membership conformance', () => {
  it('tests a server: a table, or JSON and a JUnit file; says up front that it makes changes; exit 0 when no MUST is broken', async () => {
    const address = await target();
    const dir = mkdtempSync(join(tmpdir(), 'rftm-conformance-test-'));
    use(dir, (d) => rmSync(d, { recursive: true, force: true }));
    const junit = join(dir, 'server.xml');
    const run = await cli('server', '--target', address, '--only', 'hello,frame.empty', '--json', '--junit', junit);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('this run CHANGES its cluster\'s membership');
    const report = JSON.parse(run.stdout) as { side: string; passed: boolean; results: { name: string }[] };
    expect(report).toMatchObject({ side: 'server', passed: true });
    expect(report.results.map((r) => r.name)).toContain('frame.empty');
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuites name="raft-membership conformance" tests="\d+" failures="0"/);

    const table = await cli('server', '--target', address, '--only', 'hello.wrong-cluster', '--no-changes');
    expect(table).toMatchObject({ code: 0 });
    expect(table.stdout).toMatch(/^OK +hello\.wrong-cluster +§2 row 6 +MUST +replied wrong_cluster/m);
    expect(table.stderr).toContain('without membership changes');
  }, 60_000);

  it('exits 1 when a MUST is broken, 3 when it cannot test, 64 on bad usage', async () => {
    const flagsFirst = use(await RewritingProxy.start(await target(), { hello: (hello) => (hello[6] !== 0 ? Buffer.from([0x10, 0x00]) : undefined) }), (p) => p.close());
    const broken = await cli('server', '--target', flagsFirst.address, '--only', 'hello.version-before-flags');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^FAILED +hello\.version-before-flags/m);
    expect(broken.stdout).toMatch(/FAILED: 1 MUST rule is broken$/m);

    const unreachable = await cli('server', '--target', '127.0.0.1:1', '--only', 'hello');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toMatch(/could not test: cannot test 127\.0\.0\.1:1/);

    expect((await cli('client')).code).toBe(64);
    expect((await cli('server')).stderr).toMatch(/--target is required/);
    expect((await cli('server', '--target', 'x:1', '--join-role', 'observer')).code).toBe(64);
  }, 60_000);

  it('lists every case as Markdown', async () => {
    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/### Server cases \(\d+\)/);
    expect(list.stdout).toMatch(/\| `dialer\.redirect-loop` \| §8 row different_leader \| MUST \|/);
  }, 30_000);

  it.skipIf(noPython)('tests a dialer command after --', async () => {
    const run = await cli('client', '--only', 'dialer.success,dialer.bad-request', '--timeout', '3s', '--grace', '10s', '--', 'python3', PY_DIALER);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^OK +dialer\.success /m);
    expect(run.stdout).toMatch(/^OK +dialer\.bad-request /m);
    expect(run.stderr).toContain(`testing the dialer python3 ${PY_DIALER}`);
  }, 60_000);
});
