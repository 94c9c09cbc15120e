import { describe, expect, it } from 'vitest';
import { MembershipError } from '../../src/index.js';
import type { RaftNode } from '../../reference/raft/node.js';
import { prng } from '../support/prng.js';
import { useCluster, waitFor } from './support/cluster.js';

/** Replay a run with RAFT_SEED=<seed> npx vitest run test/reference/randomized.test.ts */
const SEED = Number(process.env.RAFT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const STEPS = 14;
const OP_TIMEOUT = 1500;

describe('RaftNode, randomized membership churn', () => {
  const cluster = useCluster();

  it(`keeps one leader per term and identical committed logs (seed ${SEED})`, { timeout: 30_000 }, async () => {
    console.log(`randomized raft test: RAFT_SEED=${SEED}`);
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
    await cluster().build(3);
    let joined = 3;
    let stopped: string | undefined;
    const members = (leader: RaftNode): string[] => leader.configuration().map((s) => s.id);

    for (let step = 0; step < STEPS; step += 1) {
      const leader = await cluster().waitForLeader(cluster().live().filter((n) => n.configuration().some((s) => s.id === n.id)), 5000);
      const roll = random();
      try {
        if (stopped && roll < 0.3) {
          cluster().restart(stopped);
          stopped = undefined;
        } else if (roll < 0.45) {
          await leader.apply({ step }, OP_TIMEOUT);
        } else if (roll < 0.65) {
          const node = await cluster().spawn(`n${joined++}`);
          await leader.addVoter(node.id, node.address, 0, OP_TIMEOUT);
        } else if (roll < 0.85 && members(leader).length > 3) {
          const victim = pick(members(leader).filter((id) => id !== stopped))!;
          await leader.removeServer(victim, 0, OP_TIMEOUT);
          if (victim !== leader.id) await cluster().kill(victim);
        } else if (!stopped && members(leader).length >= 3) {
          stopped = leader.id;
          cluster().stop(leader.id);
        }
      } catch (error) {
        // Leadership moved or a wait ran out: an outcome the next step lives with.
        if (!(error instanceof MembershipError)) throw error;
      }
    }
    if (stopped) cluster().restart(stopped);

    const leader = await cluster().waitForLeader(cluster().live().filter((n) => n.configuration().some((s) => s.id === n.id)), 5000);
    const last = await leader.apply('final', 5000);
    const voters = cluster()
      .live()
      .filter((n) => leader.configuration().some((s) => s.id === n.id));
    await waitFor(() => voters.every((n) => n.commitIndex >= last), 'every member to commit the final entry');
    await cluster().waitForAgreement(voters, members(leader));
    // Log matching: every committed prefix is the same everywhere.
    const logs = [...cluster().members.values()].map((m) => m.storage.entries.slice(0, m.node.commitIndex));
    const longest = logs.reduce((a, b) => (b.length > a.length ? b : a));
    for (const log of logs) expect(log).toEqual(longest.slice(0, log.length));
    expect(cluster().safetyViolations).toEqual([]);
  });
});
