/**
 * A join and a leave committed by a real raft cluster: the reference
 * engine (`reference/raft/`, MemoryStorage) in `ClusterMember`s, three
 * voters plus the joiner, each server one `MembershipServer` port carrying
 * both membership requests and its raft streams. One op is a join of a
 * fourth server, new and empty (catch-up of the whole log, configuration
 * entry, commit), followed by its leave, both sent to the leader; join and
 * leave are also timed apart. Starting and closing each new server is not
 * timed.
 * - raft-join-leave: all four servers in this process;
 * - raft-join-leave-4p: one process per server, as they are deployed; the
 *   joiner's process times its own calls.
 * The raft here is the workload, not the transport: the round trips between
 * its servers dominate.
 */
import { ClusterMember } from '../../reference/cluster-member.js';
import { Samples, figure, interleave, percentile, type BenchConfig, type Budget, type Case, type GroupReport, type Ratio, type Round, type ScenarioGroup } from '../harness.js';
import { BenchChild } from '../processes/child.js';
import type { MemberStatus } from '../processes/raft-member.js';
import { joinLeaveCycles, type CycleTimes } from '../raft-cycle.js';

const IN_PROCESS = 'raft-join-leave';
const PROCESSES = 'raft-join-leave-4p';

/**
 * Raft timings of every server here (ClusterMember's defaults). The issue
 * does not record those of the Go run it cites.
 */
export const RAFT_TIMINGS = { electionTimeoutMs: 150, heartbeatMs: 30 } as const;

/** The Go original (hashicorp/raft) on this machine, one process per server, as issue 13 cites it. */
const GO_JOIN_P50_US = 1_300;

/** A cluster as a scenario drives it: where the leader is, and one join+leave cycle loop. */
interface Cluster {
  leader(): Promise<string>;
  cycle(target: string, budget: Budget): Promise<CycleTimes>;
  close(): Promise<void>;
}

/** A case: each round, cycles against the current leader; figures are the round's join and leave percentiles. */
function cycleCase(name: string, cluster: Cluster): Case {
  return {
    name,
    async round(budget): Promise<Round> {
      const times = await cluster.cycle(await cluster.leader(), budget);
      const joins = Float64Array.from(times.joinsUs).sort();
      const leaves = Float64Array.from(times.leavesUs).sort();
      const cycles = new Samples();
      for (let i = 0; i < times.joinsUs.length; i++) cycles.push(times.joinsUs[i]! + times.leavesUs[i]!);
      return {
        ops: times.joinsUs.length,
        elapsedMs: times.elapsedMs,
        latenciesUs: cycles.sorted(),
        figures: {
          joinP50Us: percentile(joins, 50),
          joinP99Us: percentile(joins, 99),
          leaveP50Us: percentile(leaves, 50),
          leaveP99Us: percentile(leaves, 99),
        },
      };
    },
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The address every voter agrees is the leader's, once they do. */
function agreedLeader(statuses: readonly MemberStatus[]): string | undefined {
  const leader = statuses.find((s) => s.state === 'leader')?.leader;
  return leader && statuses.every((s) => s.leader === leader) ? leader : undefined;
}

async function inProcessCluster(): Promise<Cluster> {
  const members: ClusterMember[] = [];
  const close = async () => {
    for (const member of members.reverse()) await member.close();
  };
  try {
    const start = async (id: string, bootstrap = false) => {
      const member = await ClusterMember.start({ id, bootstrap, ...RAFT_TIMINGS });
      members.push(member);
      return member;
    };
    const first = await start('n0', true);
    const voters = [first];
    const leader = () => waitFor(async () => agreedLeader(voters.map((m) => ({ state: m.raft.state(), leader: m.raft.leader() }))), 'a leader');
    await leader();
    for (const id of ['n1', 'n2']) {
      const member = await start(id);
      await member.join(await leader(), 10_000);
      voters.push(member);
    }
    let joiners = 0;
    return {
      leader,
      cycle: (target, budget) => joinLeaveCycles(() => ClusterMember.start({ id: `n3-${++joiners}`, ...RAFT_TIMINGS }), target, budget),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function processCluster(): Promise<Cluster> {
  const children: BenchChild[] = [];
  const close = async () => {
    for (const child of children.reverse()) await child.close();
  };
  try {
    const start = async (id: string, mode: 'bootstrap' | 'voter' | 'joiner' = 'voter') => {
      const timings = [String(RAFT_TIMINGS.electionTimeoutMs), String(RAFT_TIMINGS.heartbeatMs)];
      const { child, ready } = await BenchChild.start<string>('raft-member', [id, mode, ...timings], `raft-member-${id}`);
      children.push(child);
      return { child, address: ready };
    };
    const voters = [await start('n0', 'bootstrap')];
    const leader = () => waitFor(async () => agreedLeader(await Promise.all(voters.map((v) => v.child.ask<MemberStatus>({ op: 'status' })))), 'a leader');
    await leader();
    for (const id of ['n1', 'n2']) {
      const member = await start(id);
      await member.child.ask({ op: 'join', targets: [await leader()] });
      voters.push(member);
    }
    const joiner = await start('n3', 'joiner');
    return {
      leader,
      cycle: (target, { iterations, ms }) => joiner.child.ask<CycleTimes>({ op: 'cycle', target, iterations, ms }, 60_000 + (Number.isFinite(ms) ? ms : 0)),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const clusters: Cluster[] = [];
  try {
    const cases: Case[] = [];
    if (selected.includes(IN_PROCESS)) {
      const cluster = await inProcessCluster();
      clusters.push(cluster);
      cases.push(cycleCase(IN_PROCESS, cluster));
    }
    if (selected.includes(PROCESSES)) {
      const cluster = await processCluster();
      clusters.push(cluster);
      cases.push(cycleCase(PROCESSES, cluster));
    }
    const results = await interleave('raft', cases, {
      warmup: config.smoke ? { iterations: 2, ms: 2_000 } : { iterations: 200, ms: 1_000 },
      round: config.smoke ? { iterations: 3, ms: Infinity } : { iterations: Infinity, ms: 1_000 },
      rounds: config.smoke ? 1 : 5,
    });
    const ratios: Ratio[] = [];
    const processes = results.find((r) => r.name === PROCESSES);
    if (processes) {
      const joinP50 = processes.extra?.joinP50Us ?? Number.NaN;
      ratios.push(figure(`${PROCESSES} join p50 µs (Go: ${GO_JOIN_P50_US.toLocaleString('en-US')})`, joinP50, { op: '<=', value: GO_JOIN_P50_US }));
      ratios.push(figure(`${PROCESSES} join p50 / Go join p50`, joinP50 / GO_JOIN_P50_US, { op: '<=', value: 1 }));
    }
    return { results, ratios };
  } finally {
    for (const cluster of clusters.reverse()) await cluster.close();
  }
}

export const raftGroup: ScenarioGroup = { name: 'raft', scenarios: [IN_PROCESS, PROCESSES], run };
