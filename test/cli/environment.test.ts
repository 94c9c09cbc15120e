import { describe, expect, it } from 'vitest';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { run } from './cli-process.js';

const use = useCleanup();

describe('raft-membership --timeout', () => {
  it.each([
    [['--timeout', '1000'], /bad usage: --timeout "1000" has no unit: write 1000ms or 1000s/],
    [['--timeout', '2.5'], /--timeout "2.5" has no unit: write 2.5ms or 2.5s/],
    [['--timeout', '10 s'], /--timeout must be a duration from 100ms to 24h/],
    // Below the library's least timeout: said in the command's words, not the library's.
    [['--timeout', '50ms'], /bad usage: --timeout must be a duration from 100ms to 24h such as 500ms, 10s or 2m, got "50ms"$/m],
  ])('refuses %j: a bare number could be seconds or milliseconds', async (timeout, message) => {
    const result = await run(['members', '--target', '127.0.0.1:1', ...timeout]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/see: raft-membership members --help/);
  });

  it('takes every unit it documents', async () => {
    const { address } = use(await serve(), (c) => c.close());
    for (const timeout of ['5000ms', '5s', '0.5m', '1h']) {
      const result = await run(['leave', '--id', 'n2', '--target', address, '--timeout', timeout]);
      expect(result, timeout).toMatchObject({ code: 0, stderr: '' });
    }
  });
});

describe('raft-membership environment variables', () => {
  it('takes the target, cluster name and timeout from RAFT_MEMBERSHIP_*', async () => {
    const named = use(await serve({ clusterName: 'prod' }), (c) => c.close());
    const env = { RAFT_MEMBERSHIP_TARGET: `127.0.0.1:1,${named.address}`, RAFT_MEMBERSHIP_CLUSTER: 'prod', RAFT_MEMBERSHIP_TIMEOUT: '5s' };
    const joined = await run(['join', '--id', 'n2', '--address', '127.0.0.1:7002'], { env });
    expect(joined).toMatchObject({ code: 0, stderr: '' });
    expect(named.raft.servers.get('n2')).toEqual({ id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
  });

  it('lets a flag win over its variable', async () => {
    const named = use(await serve({ clusterName: 'prod' }), (c) => c.close());
    const other = use(await serve({ clusterName: 'test' }, new FakeRaft()), (c) => c.close());
    const env = { RAFT_MEMBERSHIP_TARGET: other.address, RAFT_MEMBERSHIP_CLUSTER: 'test' };
    const joined = await run(['join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', named.address, '--cluster', 'prod'], { env });
    expect(joined).toMatchObject({ code: 0, stderr: '' });
    expect(named.raft.servers.has('n2')).toBe(true);
    expect(other.raft.servers.has('n2')).toBe(false);
  });

  it('names the variable a bad value came from', async () => {
    const timeout = await run(['members', '--target', '127.0.0.1:1'], { env: { RAFT_MEMBERSHIP_TIMEOUT: '30' } });
    expect(timeout.code).toBe(64);
    expect(timeout.stderr).toMatch(/RAFT_MEMBERSHIP_TIMEOUT "30" has no unit: write 30ms or 30s/);
    const target = await run(['members'], { env: { RAFT_MEMBERSHIP_TARGET: 'nowhere' } });
    expect(target.code).toBe(64);
    expect(target.stderr).toMatch(/RAFT_MEMBERSHIP_TARGET: invalid server address "nowhere"/);
    const file = await run(['members'], { env: { RAFT_MEMBERSHIP_TARGET: '127.0.0.1:1', RAFT_MEMBERSHIP_TLS_CA: '/nonexistent/ca.pem' } });
    expect(file.code).toBe(64);
    expect(file.stderr).toMatch(/RAFT_MEMBERSHIP_TLS_CA: cannot read \/nonexistent\/ca\.pem: ENOENT/);
  });

  it('says how to give a target when there is none', async () => {
    const result = await run(['members']);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/--target is required \(or set RAFT_MEMBERSHIP_TARGET\)/);
  });

  it('lists the variables in --help', async () => {
    const result = await run(['ping', '--help']);
    for (const variable of ['TARGET', 'TIMEOUT', 'CLUSTER', 'TLS_CA', 'TLS_CERT', 'TLS_KEY', 'SECRET_FILE']) {
      expect(result.stdout).toMatch(new RegExp(`RAFT_MEMBERSHIP_${variable} +--`));
    }
  });
});
