import { describe, expect, it } from 'vitest';
import { MembershipError } from '../../src/index.js';
import { WAIT_MS, describeServers, idsOf, useE2ECluster } from './support/e2e-cluster.js';

const cluster = useE2ECluster();

/** Each join's own deadline: room for an election and a retry through the new leader. */
const JOIN_DEADLINE_MS = 6_000;
/** What a join may fail with when its leader dies under it: the outcome is unknown, or nothing was changed. */
const ALLOWED_FAILURES = ['ERR_MEMBERSHIP_TIMEOUT', 'ERR_CHANGE_REJECTED'];

type Outcome = { readonly id: string; readonly index?: number | undefined; readonly error?: unknown };

describe('end to end: the leader dies while joins are in flight', () => {
  it('reports a join as done only once a majority has committed it', async () => {
    const c = cluster();
    const members = await c.build(3);
    const leader = await c.waitForLeader();
    const seeds = [leader, ...members.filter((m) => m !== leader)].map((m) => m.address);
    const joiners = await Promise.all(['j1', 'j2', 'j3', 'j4'].map((id) => c.start(id)));

    const settled = new Set<string>();
    const outcomes = joiners.map((joiner) =>
      joiner
        .join(seeds, JOIN_DEADLINE_MS)
        .then((index): Outcome => ({ id: joiner.id, index }), (error: unknown): Outcome => ({ id: joiner.id, error }))
        .finally(() => settled.add(joiner.id)),
    );
    // The leader runs changes one at a time: once the first is answered, the others are in flight.
    await Promise.race(outcomes);
    await c.kill(leader.id);
    const inFlight = joiners.length - settled.size;
    expect(inFlight).toBeGreaterThan(0);

    const results = await Promise.all(outcomes);
    for (const { id, error } of results) {
      if (error === undefined) continue;
      expect(error, `join of ${id}`).toBeInstanceOf(MembershipError);
      expect(ALLOWED_FAILURES, `join of ${id}: ${(error as Error).message}`).toContain((error as MembershipError).code);
    }

    const { leader: next, servers } = await c.waitForConvergence();
    expect(next.id).not.toBe(leader.id);
    const live = c.live();
    for (const { id, index } of results.filter((r) => r.error === undefined)) {
      const holding = live.filter((m) => idsOf(m.raft.committedConfiguration()).includes(id));
      expect(holding.length * 2, `${id} (index ${index}) committed on ${holding.map((m) => m.id)}`).toBeGreaterThan(live.length);
      expect(idsOf(servers)).toContain(id);
    }

    // The old leader comes back with its log and catches up with what was decided without it.
    const back = await c.restart(leader.id);
    const after = await c.waitForConvergence();
    expect(idsOf(back.raft.committedConfiguration())).toEqual(idsOf(after.servers));
    console.log(`leader killed with ${inFlight} of ${joiners.length} joins in flight: ${results.map((r) => (r.error ? `${r.id} ${(r.error as MembershipError).code}` : `${r.id} ok@${r.index}`)).join(', ')}`);
  });

  it('comes back from a crash of every server with its configuration and log, and takes joins again', async () => {
    const c = cluster();
    const members = await c.build(3);
    const leader = await c.waitForLeader();
    const last = await leader.raft.apply('before the crash', WAIT_MS);
    const before = await c.waitForConvergence();
    for (const member of members) await c.kill(member.id);

    const restarted = [];
    for (const member of members) restarted.push(await c.restart(member.id));
    const after = await c.waitForConvergence();
    expect(describeServers(after.servers)).toBe(describeServers(before.servers));
    await c.waitForLog(restarted, last);

    const joiner = await c.start('n4');
    await joiner.join(restarted.map((m) => m.address), WAIT_MS);
    const { servers } = await c.waitForConvergence();
    expect(idsOf(servers)).toEqual(['n1', 'n2', 'n3', 'n4']);
  });
});
