import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Outcome, runClientConformance, runServerConformance } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { failures, named } from './support/expectations.js';

// interop/python, written from docs/wire-format.md alone, passes the kit on
// both sides: the kit works for an implementation that is not this library.

const PY_DIR = fileURLToPath(new URL('../../interop/python/', import.meta.url));
const noPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status !== 0;
const use = useCleanup();

/** Starts interop/python/server.py; resolves to its address once it has printed its port. */
async function pyServer(...args: string[]): Promise<string> {
  const child = use(spawn('python3', [`${PY_DIR}server.py`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }), stop);
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return `127.0.0.1:${chunk.toString().split('\n')[0]!.trim()}`;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe.skipIf(noPython)('interop/python against the conformance kit', () => {
  it('server.py passes every server case it can run', async () => {
    const limits = { preambleTimeoutMs: 400, idleTimeoutMs: 600, maxConnections: 24 };
    const leader = await pyServer('--preamble-ms', '400', '--idle-ms', '600', '--max-conns', '24');
    const follower = await pyServer('--follower-of', leader);
    const report = await runServerConformance(leader, { follower, ...limits });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok).length).toBeGreaterThan(70);
  }, 120_000);

  it('server.py pages a large configuration, authenticates, and echoes raft bytes', async () => {
    const paged = await runServerConformance(await pyServer('--fill', '300'), { only: ['members.'] });
    expect(named(paged, Outcome.Failed, Outcome.NonStrict), failures(paged)).toEqual([]);
    expect(named(paged, Outcome.Ok)).toContain('members.pages');
    const secret = await pyServer('--secret', 'sécret ✓', '--cluster', 'prod');
    const report = await runServerConformance(secret, { secret: 'sécret ✓', clusterName: 'prod', raftEcho: true, only: ['hello.', 'auth.', 'raft.'] });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toEqual(expect.arrayContaining(['auth.accepted-with-proof', 'raft.bytes-untouched']));
  }, 120_000);

  it('client.py passes every client case, as a command through the dialer contract', async () => {
    const report = await runClientConformance(['python3', `${PY_DIR}conformance_dialer.py`], { timeoutMs: 2_000, graceMs: 10_000, concurrency: 4 });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Skipped)).toEqual([]);
  }, 180_000);
});
