/**
 * One request at a time with the server in another process (the
 * `server-host` child), as users run them; the conductor is the client:
 * - floor-net-2p: the raw ping-pong, to the child's raw responder.
 * - tcp-join-2p: `TcpChanger.join` to the child's MembershipServer.
 * - http-join-2p: the node:http keep-alive baseline, to the child's endpoint.
 * - members-1000-2p: `TcpChanger.members` of a configuration of 1,000
 *   servers (one page: about 50 KB), from the same MembershipServer.
 * Each case reports the CPU µs per request of both processes.
 */
import { TcpChanger } from '../../src/index.js';
import { withCpu } from '../cpu.js';
import { figure, interleave, sequential, type BenchConfig, type Case, type GroupReport, type ScenarioGroup } from '../harness.js';
import { httpJoiner } from '../http-join.js';
import { BenchChild } from '../processes/child.js';
import type { ServerHostAddresses } from '../processes/server-host.js';
import { JOIN_FRAME, JOIN_ID, RESPONSE_FRAME, RawClient, SELF } from '../support.js';
import { latencyBudgets, latencyRatios } from './latency.js';

const FLOOR = 'floor-net-2p';
const TCP = 'tcp-join-2p';
const HTTP = 'http-join-2p';
const MEMBERS = 'members-1000-2p';
/** Servers in the configuration a `members` request reads. */
export const MEMBERS_COUNT = 1_000;
/** Issue 13: a 1,000-server `members` at p50 ≤ 0.3 ms. */
const MEMBERS_P50_TARGET_US = 300;

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const closers: (() => unknown)[] = [];
  const cases: Case[] = [];
  try {
    const { child, ready: at } = await BenchChild.start<ServerHostAddresses>('server-host', [String(MEMBERS_COUNT)], 'server-host-latency');
    closers.push(() => child.close());
    const cpu = () => child.cpu();
    if (selected.includes(FLOOR)) {
      const client = await RawClient.connect(at.raw, JOIN_FRAME, RESPONSE_FRAME.length, false);
      closers.push(() => client.close());
      cases.push(withCpu(sequential(FLOOR, () => client.send()), cpu));
    }
    if (selected.includes(TCP) || selected.includes(MEMBERS)) {
      const changer = new TcpChanger({ address: SELF });
      closers.push(() => changer.close());
      if (selected.includes(TCP)) cases.push(withCpu(sequential(TCP, () => changer.join(JOIN_ID, at.membership, 5_000)), cpu));
      if (selected.includes(MEMBERS)) {
        cases.push(
          withCpu(
            sequential(MEMBERS, async () => {
              const { members } = await changer.members(at.membership, 5_000);
              if (members.length !== MEMBERS_COUNT) throw new Error(`members: ${members.length} servers, expected ${MEMBERS_COUNT}`);
            }),
            cpu,
          ),
        );
      }
    }
    if (selected.includes(HTTP)) {
      const client = httpJoiner(at.http);
      closers.push(() => client.close());
      cases.push(withCpu(sequential(HTTP, () => client.join()), cpu));
    }
    const budgets = latencyBudgets(config);
    const results = await interleave('latency-2p', cases, { ...budgets, round: { ...budgets.round, ms: config.smoke ? Infinity : 500 } });
    const ratios = latencyRatios(results, { floor: FLOOR, tcp: TCP, http: HTTP });
    const members = results.find((r) => r.name === MEMBERS);
    if (members) ratios.push(figure(`${MEMBERS} p50 µs`, members.p50Us, { op: '<=', value: MEMBERS_P50_TARGET_US }));
    return { results, ratios };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export const latency2pGroup: ScenarioGroup = { name: 'latency-2p', scenarios: [FLOOR, TCP, HTTP, MEMBERS], run };
