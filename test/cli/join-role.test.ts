import { describe, expect, it } from 'vitest';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { run } from './cli-process.js';

const use = useCleanup();

/** A raft that, as hashicorp/raft does, leaves a voter a voter when it is added as a non-voter. */
function raftKeepingVoters(): FakeRaft {
  const raft = new FakeRaft({ nonvoters: true });
  const addNonvoter = raft.addNonvoter!.bind(raft);
  raft.addNonvoter = async (id, address, prevIndex, timeoutMs) =>
    raft.servers.get(id)?.role === 'voter' ? raft.index : addNonvoter(id, address, prevIndex, timeoutMs);
  return raft;
}

describe('raft-membership join reports what the cluster holds', () => {
  it('a voter asked to join as a non-voter is reported as the voter it still is', async () => {
    const raft = raftKeepingVoters();
    raft.servers.set('n2', { id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
    const served = use(await serve({}, raft), (c) => c.close());
    served.server.serveConfiguration(raft);
    const args = ['join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', served.address, '--role', 'nonvoter'];

    const text = await run(args);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe(
      'joined: n2 at 127.0.0.1:7002 is a voter of the cluster (configuration index 1)\n' +
        '  (asked for nonvoter at 127.0.0.1:7002; the line above is what the cluster holds)\n',
    );
    const json = await run([...args, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      command: 'join',
      id: 'n2',
      address: '127.0.0.1:7002',
      role: 'voter',
      requested: { address: '127.0.0.1:7002', role: 'nonvoter' },
      index: 1,
    });
    expect(raft.servers.get('n2')?.role).toBe('voter');
  });

  it('a non-voter asked to join as a voter is reported as what the raft made of it', async () => {
    const raft = new FakeRaft({ nonvoters: true });
    raft.servers.set('n2', { id: 'n2', address: '127.0.0.1:7002', role: 'nonvoter' });
    const served = use(await serve({}, raft), (c) => c.close());
    served.server.serveConfiguration(raft);
    const json = await run(['join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', served.address, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, role: 'voter', requested: { role: 'voter' } });
  });

  it('says the role is unknown when the servers do not serve their configuration', async () => {
    // A raft that does not report its configuration: its server has none to serve.
    const served = use(await serve({}, Object.assign(raftKeepingVoters(), { configuration: undefined })), (c) => c.close());
    const args = ['join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', served.address, '--role', 'nonvoter'];
    const text = await run(args);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe(
      'joined: n2 at 127.0.0.1:7002 is in the cluster (configuration index 2); the role it holds is unknown: the server does not serve its configuration\n',
    );
    const json = await run([...args, '--json']);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      command: 'join',
      id: 'n2',
      address: '127.0.0.1:7002',
      role: null,
      requested: { address: '127.0.0.1:7002', role: 'nonvoter' },
      index: 2,
      roleUnknown: 'the server does not serve its configuration',
    });
  });
});
