import { describe, expect, it } from 'vitest';
import type { RaftNode } from '../../reference/raft/node.js';
import { useCluster, waitFor } from './support/cluster.js';

const TIMEOUT = 5000;

describe('RaftNode cluster', () => {
  const cluster = useCluster();

  it('a bootstrapped single node becomes leader and commits', async () => {
    const a = await cluster().spawn('a', { bootstrap: true });
    await cluster().waitForLeader([a]);
    expect(a.state()).toBe('leader');
    expect(a.leader()).toBe(a.address);
    const index = await a.apply({ op: 'set', value: 1 }, TIMEOUT);
    expect(index).toBe(3); // 1: bootstrap configuration, 2: the leader's no-op
    expect(a.commitIndex).toBe(3);
    expect(a.committedConfiguration()).toEqual([{ id: 'a', address: a.address, role: 'voter' }]);
  });

  it.each([3, 5])('builds a %i-node cluster by addVoter; everyone gets the earlier entries', async (size) => {
    const first = await cluster().spawn('n0', { bootstrap: true });
    await cluster().waitForLeader([first]);
    await first.apply('before anyone joined', TIMEOUT);
    const nodes: RaftNode[] = [first];
    for (let i = 1; i < size; i += 1) {
      const node = await cluster().spawn(`n${i}`);
      const leader = await cluster().waitForLeader(nodes);
      const index = await leader.addVoter(node.id, node.address, 0, TIMEOUT);
      expect(index).toBe(leader.configurationIndex);
      nodes.push(node);
    }
    const leader = await cluster().waitForLeader(nodes);
    const last = await leader.apply('after', TIMEOUT);
    await cluster().waitForAgreement(nodes, nodes.map((n) => n.id));
    await waitFor(() => nodes.every((n) => n.commitIndex >= last), 'every node to commit the last entry');
    for (const node of nodes) {
      expect(node.lastIndex).toBeGreaterThanOrEqual(last);
      expect(node.configuration()).toEqual(leader.configuration());
    }
    expect(leader.configuration().every((s) => s.role === 'voter')).toBe(true);
  });
});
