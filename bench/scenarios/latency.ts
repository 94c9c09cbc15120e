/**
 * One join at a time, client and server in one process, side by side:
 * - floor-net: raw `node:net` ping-pong of a join frame's bytes and its response's.
 * - tcp-join: `TcpChanger.join` against a `MembershipServer` as users run it
 *   (`handleChangeRequests` over a raft stub that commits at once).
 * - http-join: the same over `node:http` with a keep-alive agent (JSON POST, as the Go original).
 * - redirect-join: a join sent to a follower, which redirects to the leader.
 * `latency-2p` runs the same with the server in another process.
 */
import { TcpChanger } from '../../src/index.js';
import { withCpu } from '../cpu.js';
import { interleave, roundRatio, sequential, type BenchConfig, type Case, type GroupReport, type Ratio, type ScenarioGroup, type ScenarioResult } from '../harness.js';
import { httpJoiner, httpServer } from '../http-join.js';
import { JOIN_ID, SELF, immediateServer, rawFloor, redirectingServer } from '../support.js';

const FLOOR = 'floor-net';
const TCP = 'tcp-join';
const HTTP = 'http-join';
const REDIRECT = 'redirect-join';

/** The targets of issue 13 for one caller, in one process and in two. */
export const LATENCY_TARGETS = {
  /** tcp-join p50 over the raw ping-pong's. */
  overFloor: { op: '<=', value: 1.2 },
  /** http-join p50 over tcp-join's. */
  httpOverTcp: { op: '>=', value: 2 },
} as const;

/** Budgets of the one-caller groups. */
export function latencyBudgets(config: BenchConfig) {
  return {
    warmup: config.smoke ? { iterations: 20, ms: 1_000 } : { iterations: 3_000, ms: 1_000 },
    round: config.smoke ? { iterations: 20, ms: Infinity } : { iterations: 2_000, ms: 1_000 },
    rounds: config.smoke ? 2 : 5,
  };
}

/** The floor, tcp and HTTP ratios of a one-caller group, round by round. */
export function latencyRatios(results: readonly ScenarioResult[], names: { floor: string; tcp: string; http: string }): Ratio[] {
  const by = new Map(results.map((r) => [r.name, r]));
  const floor = by.get(names.floor);
  const tcp = by.get(names.tcp);
  const http = by.get(names.http);
  const ratios: Ratio[] = [];
  if (tcp && floor) {
    ratios.push(roundRatio(`${names.tcp} p50 / ${names.floor} p50`, tcp.perRound.p50Us, floor.perRound.p50Us, LATENCY_TARGETS.overFloor));
    ratios.push(roundRatio(`${names.tcp} p99 / ${names.floor} p99`, tcp.perRound.p99Us, floor.perRound.p99Us));
  }
  if (http && tcp) ratios.push(roundRatio(`${names.http} p50 / ${names.tcp} p50`, http.perRound.p50Us, tcp.perRound.p50Us, LATENCY_TARGETS.httpOverTcp));
  if (http && floor) ratios.push(roundRatio(`${names.http} p50 / ${names.floor} p50`, http.perRound.p50Us, floor.perRound.p50Us));
  return ratios;
}

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const closers: (() => unknown)[] = [];
  const cases: Case[] = [];
  try {
    if (selected.includes(FLOOR)) {
      const client = await rawFloor(false, closers);
      cases.push(sequential(FLOOR, () => client.send()));
    }
    if (selected.includes(TCP) || selected.includes(REDIRECT)) {
      const leader = await immediateServer();
      closers.push(() => leader.close());
      const changer = new TcpChanger({ address: SELF });
      closers.push(() => changer.close());
      if (selected.includes(TCP)) cases.push(sequential(TCP, () => changer.join(JOIN_ID, leader.address, 5_000)));
      if (selected.includes(REDIRECT)) {
        const follower = await redirectingServer(leader.address);
        closers.push(() => follower.close());
        cases.push(sequential(REDIRECT, () => changer.join(JOIN_ID, follower.address, 5_000)));
      }
    }
    if (selected.includes(HTTP)) {
      const server = await httpServer();
      closers.push(() => server.close());
      const client = httpJoiner(server.address);
      closers.push(() => client.close());
      cases.push(sequential(HTTP, () => client.join()));
    }
    const results = await interleave('latency', cases.map((c) => withCpu(c)), latencyBudgets(config));
    const ratios = latencyRatios(results, { floor: FLOOR, tcp: TCP, http: HTTP });
    const redirect = results.find((r) => r.name === REDIRECT);
    const tcp = results.find((r) => r.name === TCP);
    if (redirect && tcp) ratios.push(roundRatio(`${REDIRECT} p50 / ${TCP} p50`, redirect.perRound.p50Us, tcp.perRound.p50Us));
    return { results, ratios };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export const latencyGroup: ScenarioGroup = { name: 'latency', scenarios: [FLOOR, TCP, HTTP, REDIRECT], run };
