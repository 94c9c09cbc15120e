/**
 * Scenario 8: a join and a leave committed by a real raft cluster, the
 * reference engine (`reference/raft/`), three voters plus the joiner, each
 * server with one `MembershipServer` port carrying both membership requests
 * and its raft streams (`server.accept` / `changer.dial` as the stream
 * layer). One op is a join of the fourth server (catch-up, configuration
 * entry, commit) followed by its leave, both sent to the leader. This is the
 * library in its setting: the raft round trips dominate, not the transport.
 */
import { RaftNode } from '../../reference/raft/node.js';
import { MembershipServer, TcpChanger, handleChangeRequests } from '../../src/index.js';
import { Samples, interleave, type BenchConfig, type Case, type GroupReport, type ScenarioGroup } from '../harness.js';

const NAME = 'raft-join-leave';
const ELECTION_MS = 300;
const HEARTBEAT_MS = 50;

interface Server {
  readonly node: RaftNode;
  readonly changer: TcpChanger;
  close(): Promise<void>;
}

async function startServer(id: string, bootstrap: boolean): Promise<Server> {
  const server = new MembershipServer({ clusterName: 'bench' });
  const address = await server.listen(0, '127.0.0.1');
  const changer = new TcpChanger({ address, clusterName: 'bench' });
  const layer = { dial: (to: string, timeoutMs: number) => changer.dial(to, timeoutMs), accept: () => server.accept() };
  const node = new RaftNode({ id, address, layer, electionTimeoutMs: ELECTION_MS, heartbeatMs: HEARTBEAT_MS });
  if (bootstrap) node.bootstrap();
  node.start();
  const handling = handleChangeRequests(node, server.requests);
  return {
    node,
    changer,
    async close() {
      node.close();
      changer.close();
      await server.close();
      await handling;
    },
  };
}

async function waitForLeader(nodes: readonly RaftNode[], timeoutMs = 10_000): Promise<RaftNode> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const leader = nodes.find((n) => n.state() === 'leader');
    if (leader && nodes.every((n) => n.leader() === leader.address)) return leader;
    if (performance.now() > deadline) throw new Error('no leader elected in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function run(config: BenchConfig): Promise<GroupReport> {
  const servers: Server[] = [];
  try {
    servers.push(await startServer('n0', true));
    await waitForLeader([servers[0]!.node]);
    for (const id of ['n1', 'n2']) {
      const server = await startServer(id, false);
      servers.push(server);
      await server.changer.join(id, servers[0]!.node.address, 10_000);
    }
    const voters = servers.map((s) => s.node);
    const joiner = await startServer('n3', false);
    servers.push(joiner);
    const join: Samples[] = [];
    const leave: Samples[] = [];
    const cycle: Case = {
      name: NAME,
      async round({ iterations, ms }) {
        const latencies = new Samples();
        const joins = new Samples();
        const leaves = new Samples();
        const start = performance.now();
        let ops = 0;
        while (ops < iterations && performance.now() - start < ms) {
          const leader = (await waitForLeader(voters)).address;
          const t0 = performance.now();
          await joiner.changer.join('n3', leader, 10_000);
          const t1 = performance.now();
          await joiner.changer.leave('n3', leader, 10_000);
          const t2 = performance.now();
          joins.push((t1 - t0) * 1000);
          leaves.push((t2 - t1) * 1000);
          latencies.push((t2 - t0) * 1000);
          ops++;
        }
        join.push(joins);
        leave.push(leaves);
        return { ops, elapsedMs: performance.now() - start, latenciesUs: latencies.sorted() };
      },
    };
    const [result] = await interleave('raft', [cycle], {
      warmup: config.smoke ? { iterations: 2, ms: 2_000 } : { iterations: 200, ms: 1_000 },
      round: config.smoke ? { iterations: 3, ms: Infinity } : { iterations: Infinity, ms: 1_000 },
      rounds: config.smoke ? 1 : 4,
    });
    // The first round of each list is the warm-up's.
    const p50 = (rounds: Samples[]) => {
      const all = new Samples();
      for (const s of rounds.slice(1)) all.addAll(s.sorted());
      const sorted = all.sorted();
      return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
    };
    return { results: [{ ...result!, extra: { joinP50Us: p50(join), leaveP50Us: p50(leave) } }], ratios: [] };
  } finally {
    for (const server of servers.reverse()) await server.close();
  }
}

export const raftGroup: ScenarioGroup = { name: 'raft', scenarios: [NAME], run };
