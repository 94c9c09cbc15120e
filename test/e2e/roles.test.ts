import { describe, expect, it } from 'vitest';
import type { ConfigurationServer } from '../../src/index.js';
import { WAIT_MS, useE2ECluster } from './support/e2e-cluster.js';

const cluster = useE2ECluster();

const roleOf = (members: readonly ConfigurationServer[], id: string): string | undefined => members.find((m) => m.id === id)?.role;

describe('end to end: joining again with another role', () => {
  it('promotes a non-voter that joins as a voter, and never demotes a voter that joins as a non-voter', async () => {
    const c = cluster();
    const [first] = await c.build(3);
    const seeds = [first!.address];
    const n4 = await c.start('n4');
    const read = () => n4.changer.members(seeds, WAIT_MS);

    const asNonvoter = await n4.changer.join('n4', seeds, { timeoutMs: WAIT_MS, role: 'nonvoter' });
    let answer = await read();
    expect(roleOf(answer.members, 'n4')).toBe('nonvoter');
    expect(answer.index).toBe(asNonvoter);

    // A promotion, as hashicorp/raft's AddVoter and etcd's `member promote`: one new configuration.
    const promoted = await n4.changer.join('n4', seeds, { timeoutMs: WAIT_MS, role: 'voter' });
    answer = await read();
    expect(roleOf(answer.members, 'n4')).toBe('voter');
    expect(promoted).toBeGreaterThan(asNonvoter!);
    expect(answer.index).toBe(promoted);

    // Not a demotion, as hashicorp/raft's AddNonvoter: nothing changes, the current index comes back.
    const again = await n4.changer.join('n4', seeds, { timeoutMs: WAIT_MS, role: 'nonvoter' });
    answer = await read();
    expect(roleOf(answer.members, 'n4')).toBe('voter');
    expect(again).toBe(promoted);
    expect(answer.index).toBe(promoted);
    expect(answer.members.filter((m) => m.role === 'voter').map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    // The promoted server votes: the four agree on it.
    await c.waitForAgreement(c.live(), answer.members);
  });
});
