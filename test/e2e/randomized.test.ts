import { describe, expect, it } from 'vitest';
import { MembershipError, MembershipTimeoutError, type ConfigurationServer } from '../../src/index.js';
import type { ClusterMember } from '../../reference/cluster-member.js';
import { EntryKind } from '../../reference/raft/log.js';
import { CommittedConfigurations } from './support/committed-configurations.js';
import { WAIT_MS, describeServers, idsOf, prng, useE2ECluster, type E2ECluster } from './support/e2e-cluster.js';

/** Replay a run with E2E_SEED=<seed> npx vitest run test/e2e/randomized.test.ts */
const SEED = Number(process.env.E2E_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** How long operations are started for. */
const RUN_MS = 7_000;
/** Each join/leave's deadline is drawn from this range; some are short on purpose, to leave outcomes unknown. */
const OP_DEADLINE_MS = [300, 2_500] as const;
const IDS = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];
const MAX_IN_FLIGHT = 3;
/** Tries per unknown outcome at the end, each with WAIT_MS. */
const MAX_RESOLVE_TRIES = 5;

type Op = 'join' | 'leave';

const cluster = useE2ECluster();

/** The configuration in force: the leader's, else the newest any live member holds. */
function currentConfiguration(c: E2ECluster): ConfigurationServer[] {
  const live = c.live();
  const leader = live.find((m) => m.raft.state() === 'leader');
  if (leader) return leader.raft.configuration();
  const newest = live.reduce<ClusterMember | undefined>((a, m) => (!a || m.raft.configurationIndex > a.raft.configurationIndex ? m : a), undefined);
  return newest?.raft.configuration() ?? [];
}

describe('end to end: randomized joins, leaves, leader kills and restarts', () => {
  it(`keeps election safety, committed configurations and every acknowledged change (seed ${SEED})`, { timeout: 50_000 }, async () => {
    console.log(`e2e randomized test: E2E_SEED=${SEED}`);
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
    const shuffled = <T>(items: readonly T[]): T[] => items.map((item) => ({ item, key: random() })).sort((a, b) => a.key - b.key).map((x) => x.item);
    const c = cluster();
    await c.build(3);

    /** The last acknowledged change per id: what the final configuration must show. */
    const acknowledged = new Map<string, Op>(c.live().map((m) => [m.id, 'join']));
    /** Changes whose deadline passed (they may or may not have committed); the id is frozen until the end. */
    const unknown = new Map<string, Op>();
    /** Ids that left and were stopped, as a server that leaves would be. */
    const departed = new Set<string>();
    const busy = new Set<string>();
    const inFlight = new Set<Promise<void>>();
    const counts = { join: 0, leave: 0, kill: 0, leaderKill: 0, restart: 0, apply: 0, acked: 0, timedOut: 0, rejected: 0, resolveTries: 0 };
    const committed = new CommittedConfigurations(c);

    const seeds = (): string[] => {
      const members = new Set(idsOf(currentConfiguration(c)));
      return shuffled(c.live().filter((m) => members.has(m.id)).map((m) => m.address));
    };

    const change = (member: ClusterMember, op: Op): void => {
      const targets = seeds();
      if (targets.length === 0) return;
      busy.add(member.id);
      counts[op] += 1;
      const [shortest, longest] = OP_DEADLINE_MS;
      const timeoutMs = Math.round(shortest + random() * (longest - shortest));
      const call = op === 'join' ? member.join(targets, timeoutMs) : member.leave(targets, timeoutMs);
      const done = call
        .then(
          async () => {
            counts.acked += 1;
            acknowledged.set(member.id, op);
            if (op === 'leave') {
              departed.add(member.id);
              await c.kill(member.id);
            }
          },
          (error: unknown) => {
            if (error instanceof MembershipTimeoutError) {
              counts.timedOut += 1;
              unknown.set(member.id, op);
            } else if (error instanceof MembershipError && error.code === 'ERR_CHANGE_REJECTED') {
              counts.rejected += 1; // nothing was changed: what was acknowledged before still holds
            } else {
              throw error;
            }
          },
        )
        .finally(() => {
          busy.delete(member.id);
          inFlight.delete(done);
        });
      inFlight.add(done);
    };

    const free = (id: string): boolean => !busy.has(id) && !unknown.has(id);
    const configured = (): Set<string> => new Set(idsOf(currentConfiguration(c)));
    const crashed = (): string[] => [...c.members.keys()].filter((id) => !c.isLive(id) && !departed.has(id));

    const join = async (): Promise<void> => {
      const members = configured();
      const fresh = IDS.filter((id) => !c.members.has(id));
      const outside = c.live().filter((m) => !members.has(m.id) && free(m.id)).map((m) => m.id);
      const id = pick([...fresh.slice(0, 1), ...outside, ...[...departed].filter(free)]);
      if (id === undefined) return;
      let joiner: ClusterMember;
      if (!c.members.has(id)) joiner = await c.start(id);
      else if (departed.delete(id)) joiner = await c.restart(id);
      else joiner = c.member(id);
      change(joiner, 'join');
    };
    const leave = (): void => {
      const members = configured();
      // Each leave in flight or of unknown outcome may yet commit: keep three members whatever happens.
      const leaving = [...busy].filter((id) => members.has(id)).length + [...unknown.values()].filter((op) => op === 'leave').length;
      if (members.size - leaving <= 3) return;
      const id = pick(c.live().filter((m) => members.has(m.id) && free(m.id)).map((m) => m.id));
      if (id !== undefined) change(c.member(id), 'leave');
    };
    const kill = async (): Promise<void> => {
      const members = configured();
      // One crashed member of the configuration at a time, so that a majority stays up.
      if (crashed().some((id) => members.has(id)) || members.size < 3) return;
      const candidates = c.live().filter((m) => members.has(m.id) && free(m.id));
      const leader = candidates.find((m) => m.raft.state() === 'leader');
      const victim = leader && random() < 0.7 ? leader : pick(candidates);
      if (!victim) return;
      counts.kill += 1;
      if (victim === leader) counts.leaderKill += 1;
      await c.kill(victim.id);
    };
    const restart = async (): Promise<void> => {
      const id = pick(crashed());
      if (id === undefined) return;
      counts.restart += 1;
      await c.restart(id);
    };
    const apply = async (): Promise<void> => {
      const leader = c.live().find((m) => m.raft.state() === 'leader');
      if (!leader) return;
      counts.apply += 1;
      await leader.raft.apply({ at: Date.now() }, 1_000).catch((error: unknown) => {
        if (!(error instanceof MembershipError)) throw error;
      });
    };

    const deadline = Date.now() + RUN_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20 + random() * 80));
      const roll = random();
      if (roll < 0.45) {
        const burst = 1 + Math.floor(random() * MAX_IN_FLIGHT);
        for (let i = 0; i < burst && inFlight.size < MAX_IN_FLIGHT; i += 1) {
          if (random() < 0.6) await join();
          else leave();
        }
        // Often the leader dies with those changes in flight.
        if (random() < 0.4) await kill();
      } else if (roll < 0.65) await kill();
      else if (roll < 0.85) await restart();
      else await apply();
    }
    await Promise.all(inFlight);

    // Everyone that crashed comes back; then every unknown outcome is asked again until it is known.
    for (const id of [...c.members.keys()]) if (!c.isLive(id) && !departed.has(id)) await c.restart(id);
    for (const [id, op] of unknown) {
      const member = c.member(id);
      for (let tries = 1; ; tries += 1) {
        counts.resolveTries += 1;
        const targets = seeds();
        const outcome = await (op === 'join' ? member.join(targets, WAIT_MS) : member.leave(targets, WAIT_MS)).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (outcome === undefined) break;
        if (!(outcome instanceof MembershipTimeoutError) || tries >= MAX_RESOLVE_TRIES) throw outcome;
      }
      acknowledged.set(id, op);
      if (op === 'leave') {
        departed.add(id);
        await c.kill(id);
      }
    }

    const { servers } = await c.waitForConvergence();
    committed.stop();
    console.log(`E2E_SEED=${SEED}: ${JSON.stringify(counts)}; final ${describeServers(servers)}`);

    expect(c.safetyViolations, 'at most one leader per term').toEqual([]);
    // Every acknowledged change shows, and nothing else does.
    const joined = [...acknowledged].filter(([, op]) => op === 'join').map(([id]) => ({ id, address: c.member(id).address, role: 'voter' as const }));
    expect(describeServers(servers)).toBe(describeServers(joined));
    expect(committed.violations, 'committed configurations').toEqual([]);
    expect(committed.lost(), 'committed configurations lost').toEqual([]);
    // Log matching: the committed prefixes of every member agree, configuration entries included.
    const logs = [...c.members.values()].map((m) => ({ id: m.id, entries: m.storage.entries.slice(0, m.raft.commitIndex) }));
    const longest = logs.reduce((a, b) => (b.entries.length > a.entries.length ? b : a));
    for (const log of logs) expect(log.entries, `${log.id}'s committed log`).toEqual(longest.entries.slice(0, log.entries.length));
    expect(longest.entries.filter((e) => e.kind === EntryKind.Configuration).length).toBeGreaterThan(3);
  });
});
