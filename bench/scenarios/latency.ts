/**
 * Scenarios 1, 2, 3 and 5: one join at a time, side by side.
 * - floor-net: raw `node:net` ping-pong of a join frame's bytes and its response's.
 * - tcp-join: `TcpChanger.join` against a `MembershipServer` that answers at once.
 * - http-join: the same over `node:http` with a keep-alive agent (JSON POST, as the Go original).
 * - redirect-join: a join sent to a follower, which redirects to the leader.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { TcpChanger } from '../../src/index.js';
import { interleave, ratio, sequential, type BenchConfig, type Case, type GroupReport, type Ratio, type ScenarioGroup } from '../harness.js';
import { JOIN_ID, SELF, immediateServer, listenLoopback, rawFloor, redirectingServer, type Running } from '../support.js';

const FLOOR = 'floor-net';
const TCP = 'tcp-join';
const HTTP = 'http-join';
const REDIRECT = 'redirect-join';

/** A `node:http` membership endpoint: POST /join with `{ id, address }`, answered at once. */
async function httpServer(): Promise<Running> {
  let n = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; address?: unknown };
      if (typeof body.id !== 'string' || typeof body.address !== 'string') {
        res.writeHead(400).end();
        return;
      }
      const reply = JSON.stringify({ index: ++n });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  return {
    address: await listenLoopback(server),
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A keep-alive client for {@link httpServer}: one socket, reused. */
function httpJoiner(address: string): { join(): Promise<number>; close(): void } {
  const at = address.lastIndexOf(':');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ id: JOIN_ID, address: SELF });
  const options = {
    agent,
    host: address.slice(0, at),
    port: Number(address.slice(at + 1)),
    method: 'POST',
    path: '/join',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  };
  return {
    join: () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { index: number }).index);
          });
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
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
    const results = await interleave('latency', cases, {
      warmup: config.smoke ? { iterations: 20, ms: 1_000 } : { iterations: 3_000, ms: 1_000 },
      round: config.smoke ? { iterations: 20, ms: Infinity } : { iterations: 2_000, ms: Infinity },
      rounds: config.smoke ? 2 : 8,
    });
    const by = new Map(results.map((r) => [r.name, r]));
    const ratios: Ratio[] = [];
    const floor = by.get(FLOOR);
    const tcp = by.get(TCP);
    const http = by.get(HTTP);
    const redirect = by.get(REDIRECT);
    if (tcp && floor) ratios.push(ratio(`${TCP} p50 / ${FLOOR} p50`, tcp.p50Us, floor.p50Us, { op: '<=', value: 1.5 }));
    if (http && tcp) ratios.push(ratio(`${HTTP} p50 / ${TCP} p50`, http.p50Us, tcp.p50Us, { op: '>=', value: 2.5 }));
    if (redirect && tcp) ratios.push(ratio(`${REDIRECT} p50 / ${TCP} p50`, redirect.p50Us, tcp.p50Us));
    return { results, ratios };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export const latencyGroup: ScenarioGroup = { name: 'latency', scenarios: [FLOOR, TCP, HTTP, REDIRECT], run };
