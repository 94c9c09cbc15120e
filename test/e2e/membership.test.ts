import { describe, expect, it } from 'vitest';
import { ChangeRejectedError } from '../../src/index.js';
import type { ClusterMember } from '../../reference/cluster-member.js';
import { EntryKind } from '../../reference/raft/log.js';
import { WAIT_MS, describeServers, idsOf, prng, useE2ECluster } from './support/e2e-cluster.js';

const cluster = useE2ECluster();

/** The commands in `member`'s log, in order. */
function commands(member: ClusterMember): unknown[] {
  return member.storage.entries.filter((e) => e.kind === EntryKind.Command).map((e) => e.command);
}

describe('end to end: joins and leaves over the library transport', () => {
  it('bootstraps one server, joins four through random members (some redirected) and replicates the log to them', async () => {
    const c = cluster();
    const random = prng(20240611);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const first = await c.start('n1', { bootstrap: true });
    await c.waitForLeader();
    for (const n of [1, 2, 3]) await first.raft.apply({ set: n }, WAIT_MS);

    const members = [first];
    for (let i = 2; i <= 5; i += 1) {
      const leader = await c.waitForLeader();
      const joiner = await c.start(`n${i}`);
      const followers = members.filter((m) => m !== leader);
      // Joins 3 and 5 go to a follower on purpose, so that redirects surely happen.
      const target = i === 3 || i === 5 ? pick(followers) : pick(members);
      const index = await joiner.join(target.address, WAIT_MS);
      expect(index).toBe(leader.raft.configurationIndex);
      expect(idsOf(leader.raft.configuration())).toContain(joiner.id);
      if (target !== leader) {
        expect(c.redirects).toContainEqual({ id: joiner.id, from: target.address, leader: leader.address });
      }
      members.push(joiner);
    }
    expect(c.redirects.length).toBeGreaterThanOrEqual(2);

    const leader = await c.waitForLeader();
    await c.waitForAgreement(members, members.map((m) => ({ id: m.id, address: m.address, role: 'voter' })));
    await c.waitForLog(members, leader.raft.lastIndex);
    for (const member of members) {
      expect(member.raft.lastIndex).toBeGreaterThanOrEqual(leader.raft.lastIndex);
      expect(commands(member)).toEqual([{ set: 1 }, { set: 2 }, { set: 3 }]);
    }
  });

  it.each(['itself', 'a follower'])('elects a new leader when the leader leaves through %s', async (via) => {
    const c = cluster();
    const members = await c.build(5);
    const old = await c.waitForLeader();
    const target = via === 'itself' ? old : members.find((m) => m !== old)!;
    const index = await old.leave(target.address, WAIT_MS);

    const rest = members.filter((m) => m !== old);
    const leader = await c.waitForLeader(() => rest);
    expect(leader.id).not.toBe(old.id);
    await c.waitForAgreement(
      rest,
      rest.map((m) => ({ id: m.id, address: m.address, role: 'voter' })),
    );
    expect(index).toBe(leader.raft.configurationIndex);
    expect(old.raft.state()).not.toBe('leader');
    for (const member of rest) expect(idsOf(member.raft.committedConfiguration())).not.toContain(old.id);
  });

  it('serializes concurrent joins: distinct configuration indexes, all in the final configuration', async () => {
    const c = cluster();
    const random = prng(7);
    const members = await c.build(3);
    const joiners = await Promise.all(['j1', 'j2', 'j3', 'j4'].map((id) => c.start(id)));
    const indexes = await Promise.all(joiners.map((j) => j.join(members[Math.floor(random() * members.length)]!.address, WAIT_MS)));

    expect(new Set(indexes).size).toBe(joiners.length);
    const { leader, servers } = await c.waitForConvergence();
    expect(idsOf(servers)).toEqual(['j1', 'j2', 'j3', 'j4', 'n1', 'n2', 'n3']);
    // Each index is the configuration entry that brought its joiner in.
    joiners.forEach((joiner, i) => {
      const entry = leader.storage.entries[indexes[i]! - 1];
      expect(entry?.kind).toBe(EntryKind.Configuration);
      expect(idsOf(entry?.servers ?? [])).toContain(joiner.id);
      const before = leader.storage.entries.slice(0, indexes[i]! - 1).filter((e) => e.kind === EntryKind.Configuration).at(-1);
      expect(idsOf(before?.servers ?? [])).not.toContain(joiner.id);
    });
  });

  it('re-joins at the same address without a new entry, and at a new address by moving the server', async () => {
    const c = cluster();
    const members = await c.build(3);
    const leader = await c.waitForLeader();
    const other = members.find((m) => m !== leader)!;
    const before = { config: leader.raft.configurationIndex, last: leader.raft.lastIndex };

    expect(await other.join(leader.address, WAIT_MS)).toBe(before.config);
    expect(leader.raft.lastIndex).toBe(before.last);

    // The same server (same id, same log) comes back on another port.
    await c.kill(other.id);
    const moved = await c.restart(other.id, 0);
    expect(moved.address).not.toBe(other.address);
    const index = await moved.join(members.map((m) => m.address), WAIT_MS);
    expect(index).toBeGreaterThan(before.config);
    const live = c.live();
    await c.waitForAgreement(
      live,
      live.map((m) => ({ id: m.id, address: m.address, role: 'voter' })),
    );
    expect(describeServers(leader.raft.committedConfiguration())).toContain(`${moved.id}@${moved.address}`);
  });

  it('answers a leave of an unknown id with the current index, appending nothing', async () => {
    const c = cluster();
    const members = await c.build(3);
    const leader = await c.waitForLeader();
    const before = { config: leader.raft.configurationIndex, last: leader.raft.lastIndex };
    const follower = members.find((m) => m !== leader)!;
    expect(await follower.changer.leave('ghost', follower.address, WAIT_MS)).toBe(before.config);
    expect(leader.raft.lastIndex).toBe(before.last);
    expect(idsOf(leader.raft.configuration())).toEqual(['n1', 'n2', 'n3']);
  });

  it('refuses a new id at an address another id holds with ChangeRejectedError', async () => {
    const c = cluster();
    const members = await c.build(3);
    const leader = await c.waitForLeader();
    const taken = members.find((m) => m !== leader)!.address;
    const before = leader.raft.lastIndex;
    const intruder = c.changer(taken);
    const error = await intruder.join('intruder', leader.address, WAIT_MS).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChangeRejectedError);
    expect((error as ChangeRejectedError).code).toBe('ERR_CHANGE_REJECTED');
    expect((error as Error).message).toContain(taken);
    expect(leader.raft.lastIndex).toBe(before);
    expect(idsOf(leader.raft.configuration())).toEqual(['n1', 'n2', 'n3']);
  });
});
