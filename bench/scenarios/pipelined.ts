/**
 * Joins pipelined on one connection: `depth` calls in flight, a new one
 * starting as each ends. Three cases per setting, side by side:
 * - raw: the raw echo (support.ts), which moves the bytes and reads none
 *   (the kernel's and libuv's speed: context, not a target);
 * - floor: the decoding floor (decoding-floor.ts), which frames, decodes and
 *   encodes every request and response by hand: the honest floor for a
 *   decoding protocol, the one the target is set against;
 * - join: `TcpChanger.join` against a MembershipServer as users run it
 *   (default options: one connection, the server reads 64 requests ahead).
 * In one process at 64 in flight (`pipelined-*-64`), and with the server in
 * another process at 16, 64 and 256 (`pipelined-*-2p-N`), where each case
 * also reports the CPU µs per request of each process.
 */
import { TcpChanger } from '../../src/index.js';
import { CPU, withCpu } from '../cpu.js';
import { DecodingClient, decodingResponder } from '../decoding-floor.js';
import { figure, interleave, pipelined, roundRatio, type BenchConfig, type Case, type GroupReport, type Ratio, type ScenarioGroup, type ScenarioResult } from '../harness.js';
import { BenchChild } from '../processes/child.js';
import type { ServerHostAddresses } from '../processes/server-host.js';
import { JOIN_FRAME, JOIN_ID, RESPONSE_FRAME, RawClient, SELF, immediateServer, rawFloor } from '../support.js';

/** Calls in flight in one process. */
export const DEPTH = 64;
/** Calls in flight with the server in another process. */
export const DEPTHS_2P = [16, 64, 256] as const;

/** Issue 13's targets for pipelined joins. */
const TARGETS = {
  /** req/s in one process. */
  reqPerSec: { op: '>=', value: 150_000 },
  /** req/s over the decoding floor's. */
  overFloor: { op: '>=', value: 0.5 },
  /** µs of server user CPU per request, at 64 in flight. */
  serverUserUs: { op: '<=', value: 2 },
  /** µs of client user CPU per request, at 64 in flight. */
  clientUserUs: { op: '<=', value: 2.5 },
} as const;

const name = (kind: 'raw' | 'floor' | 'join', depth: number, twoProcesses: boolean): string => `pipelined-${kind}${twoProcesses ? '-2p' : ''}-${depth}`;

const SCENARIOS = [
  ...(['raw', 'floor', 'join'] as const).map((kind) => name(kind, DEPTH, false)),
  ...DEPTHS_2P.flatMap((depth) => (['raw', 'floor', 'join'] as const).map((kind) => name(kind, depth, true))),
];

/** Where one setting's three cases send their requests. */
interface Targets {
  readonly raw: () => Promise<RawClient>;
  readonly floor: () => Promise<DecodingClient>;
  readonly membership: string;
}

/** The setting's cases that are selected. */
async function casesFor(depth: number, twoProcesses: boolean, targets: Targets, selected: readonly string[], closers: (() => unknown)[], changer: TcpChanger): Promise<Case[]> {
  const cases: Case[] = [];
  if (selected.includes(name('raw', depth, twoProcesses))) {
    const client = await targets.raw();
    closers.push(() => client.close());
    cases.push(pipelined(name('raw', depth, twoProcesses), depth, () => client.send()));
  }
  if (selected.includes(name('floor', depth, twoProcesses))) {
    const client = await targets.floor();
    closers.push(() => client.close());
    cases.push(pipelined(name('floor', depth, twoProcesses), depth, () => client.send()));
  }
  if (selected.includes(name('join', depth, twoProcesses))) {
    cases.push(pipelined(name('join', depth, twoProcesses), depth, () => changer.join(JOIN_ID, targets.membership, 5_000)));
  }
  return cases;
}

/** One setting's ratios: the library against both floors, and its CPU at 64 in flight. */
function ratiosFor(results: readonly ScenarioResult[], depth: number, twoProcesses: boolean): Ratio[] {
  const by = new Map(results.map((r) => [r.name, r]));
  const raw = by.get(name('raw', depth, twoProcesses));
  const floor = by.get(name('floor', depth, twoProcesses));
  const join = by.get(name('join', depth, twoProcesses));
  const ratios: Ratio[] = [];
  if (!join) return ratios;
  if (!twoProcesses) ratios.push(figure(`${join.name} req/s`, join.opsPerSec, TARGETS.reqPerSec));
  if (floor) ratios.push(roundRatio(`${join.name} / ${floor.name} req/s`, join.perRound.opsPerSec, floor.perRound.opsPerSec, TARGETS.overFloor));
  if (raw) ratios.push(roundRatio(`${join.name} / ${raw.name} req/s`, join.perRound.opsPerSec, raw.perRound.opsPerSec));
  if (twoProcesses && depth === 64) {
    ratios.push(figure(`${join.name} server user µs/req`, join.extra?.[CPU.serverUser] ?? Number.NaN, TARGETS.serverUserUs));
    ratios.push(figure(`${join.name} client user µs/req`, join.extra?.[CPU.clientUser] ?? Number.NaN, TARGETS.clientUserUs));
  }
  return ratios;
}

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const closers: (() => unknown)[] = [];
  const cases: Case[] = [];
  try {
    // The library's client: one pooled connection per target, as by default.
    const changer = new TcpChanger({ address: SELF });
    closers.push(() => changer.close());
    if (SCENARIOS.slice(0, 3).some((s) => selected.includes(s))) {
      const membership = selected.includes(name('join', DEPTH, false)) ? await immediateServer() : undefined;
      if (membership) closers.push(() => membership.close());
      const floorServer = await decodingResponder();
      closers.push(() => floorServer.close());
      const local: Targets = {
        raw: () => rawFloor(true, closers),
        floor: () => DecodingClient.connect(floorServer.address, JOIN_ID, SELF),
        membership: membership?.address ?? '',
      };
      for (const c of await casesFor(DEPTH, false, local, selected, closers, changer)) cases.push(withCpu(c));
    }
    if (SCENARIOS.slice(3).some((s) => selected.includes(s))) {
      const { child, ready: at } = await BenchChild.start<ServerHostAddresses>('server-host', ['0'], 'server-host-pipelined');
      closers.push(() => child.close());
      const remote: Targets = {
        raw: () => RawClient.connect(at.raw, JOIN_FRAME, RESPONSE_FRAME.length, true),
        floor: () => DecodingClient.connect(at.decoding, JOIN_ID, SELF),
        membership: at.membership,
      };
      for (const depth of DEPTHS_2P) {
        for (const c of await casesFor(depth, true, remote, selected, closers, changer)) cases.push(withCpu(c, () => child.cpu()));
      }
    }
    const results = await interleave('pipelined', cases, {
      warmup: config.smoke ? { iterations: 200, ms: 1_000 } : { iterations: Infinity, ms: 1_000 },
      round: config.smoke ? { iterations: 200, ms: Infinity } : { iterations: Infinity, ms: 500 },
      rounds: config.smoke ? 2 : 5,
    });
    const ratios = [ratiosFor(results, DEPTH, false), ...DEPTHS_2P.map((depth) => ratiosFor(results, depth, true))].flat();
    return { results, ratios };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export const pipelinedGroup: ScenarioGroup = { name: 'pipelined', scenarios: SCENARIOS, run };
