/**
 * Scenario 4: 64 joins in flight on one pooled connection, against the same
 * bytes echoed by a raw `node:net` pair with 64 in flight.
 */
import { TcpChanger } from '../../src/index.js';
import { interleave, pipelined, ratio, type BenchConfig, type Case, type GroupReport, type Ratio, type ScenarioGroup } from '../harness.js';
import { JOIN_ID, SELF, immediateServer, rawFloor } from '../support.js';

const FLOOR = 'pipelined-floor-net';
const JOIN = 'pipelined-join';
/** Requests in flight. */
export const DEPTH = 64;

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const closers: (() => unknown)[] = [];
  const cases: Case[] = [];
  try {
    if (selected.includes(FLOOR)) {
      const client = await rawFloor(true, closers);
      cases.push(pipelined(FLOOR, DEPTH, () => client.send()));
    }
    if (selected.includes(JOIN)) {
      // The server's default would stop reading at 64 in flight: exactly our depth, so it never pauses.
      const server = await immediateServer();
      closers.push(() => server.close());
      const changer = new TcpChanger({ address: SELF, connectionsPerTarget: 1 });
      closers.push(() => changer.close());
      cases.push(pipelined(JOIN, DEPTH, () => changer.join(JOIN_ID, server.address, 5_000)));
    }
    const results = await interleave('pipelined', cases, {
      warmup: config.smoke ? { iterations: 200, ms: 1_000 } : { iterations: Infinity, ms: 1_000 },
      round: config.smoke ? { iterations: 200, ms: Infinity } : { iterations: Infinity, ms: 500 },
      rounds: config.smoke ? 2 : 8,
    });
    const floor = results.find((r) => r.name === FLOOR);
    const join = results.find((r) => r.name === JOIN);
    const ratios: Ratio[] = [];
    if (join) ratios.push(ratio(`${JOIN} req/s / 100,000`, join.opsPerSec, 100_000, { op: '>=', value: 1 }));
    if (join && floor) ratios.push(ratio(`${JOIN} req/s / ${FLOOR} req/s`, join.opsPerSec, floor.opsPerSec, { op: '>=', value: 0.5 }));
    return { results, ratios };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export const pipelinedGroup: ScenarioGroup = { name: 'pipelined', scenarios: [FLOOR, JOIN], run };
