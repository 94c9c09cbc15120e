/**
 * Scenario 6: raft stream throughput through the shared port
 * (`changer.dial` / `server.accept`) against a raw socket pair, with 64 KiB
 * writes honouring back-pressure. A round writes for its time, then waits
 * until the reader has every byte; throughput counts bytes read.
 * Latency samples are each write's time to its callback.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MembershipServer, TcpChanger } from '../../src/index.js';
import { Samples, interleave, ratio, type BenchConfig, type Case, type GroupReport, type Ratio, type ScenarioGroup } from '../harness.js';
import { BENCH_SERVER_OPTIONS, SELF, dialRaw, listenRaw } from '../support.js';

const RAW = 'stream-raw';
const SHARED = 'stream-shared-port';
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const MIB = 1024 * 1024;

/** Writes `CHUNK`s from `writer` to `reader` for each round. */
function streamCase(name: string, writer: Socket, reader: Duplex): Case {
  let read = 0;
  let onRead: (() => void) | undefined;
  reader.on('data', (chunk: Buffer) => {
    read += chunk.length;
    onRead?.();
  });
  return {
    name,
    async round({ iterations, ms }) {
      const latencies = new Samples();
      read = 0;
      let written = 0;
      const start = performance.now();
      let writes = 0;
      while (writes < iterations && performance.now() - start < ms) {
        const t0 = performance.now();
        writes++;
        written += CHUNK.length;
        const more = writer.write(CHUNK, () => latencies.push((performance.now() - t0) * 1000));
        if (!more) await new Promise((resolve) => writer.once('drain', resolve));
      }
      if (read < written) {
        await new Promise<void>((resolve) => {
          onRead = () => {
            if (read >= written) resolve();
          };
        });
        onRead = undefined;
      }
      return { ops: read / CHUNK.length, elapsedMs: performance.now() - start, latenciesUs: latencies.sorted() };
    },
  };
}

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const closers: (() => unknown)[] = [];
  const cases: Case[] = [];
  try {
    if (selected.includes(RAW)) {
      let accepted: (socket: Socket) => void = () => undefined;
      const serverSide = new Promise<Socket>((resolve) => (accepted = resolve));
      const server = await listenRaw((socket) => accepted(socket));
      closers.push(() => server.close());
      const writer = await dialRaw(server.address);
      closers.push(() => writer.destroy());
      cases.push(streamCase(RAW, writer, await serverSide));
    }
    if (selected.includes(SHARED)) {
      const server = new MembershipServer(BENCH_SERVER_OPTIONS);
      const address = await server.listen(0, '127.0.0.1');
      closers.push(() => server.close());
      const changer = new TcpChanger({ address: SELF });
      closers.push(() => changer.close());
      const [writer, reader] = await Promise.all([changer.dial(address, 5_000), server.accept()]);
      closers.push(() => {
        writer.destroy();
        reader.destroy();
      });
      reader.resume();
      cases.push(streamCase(SHARED, writer, reader));
    }
    const results = await interleave('stream', cases, {
      warmup: config.smoke ? { iterations: 16, ms: 1_000 } : { iterations: Infinity, ms: 1_000 },
      round: config.smoke ? { iterations: 16, ms: Infinity } : { iterations: Infinity, ms: 500 },
      rounds: config.smoke ? 2 : 8,
    });
    const withMib = results.map((r) => ({ ...r, extra: { MiBps: (r.opsPerSec * CHUNK.length) / MIB } }));
    const raw = withMib.find((r) => r.name === RAW);
    const shared = withMib.find((r) => r.name === SHARED);
    const ratios: Ratio[] = [];
    if (raw && shared) ratios.push(ratio(`${SHARED} / ${RAW} throughput`, shared.opsPerSec, raw.opsPerSec, { op: '>=', value: 0.95 }));
    return { results: withMib, ratios };
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

export const streamGroup: ScenarioGroup = { name: 'stream', scenarios: [RAW, SHARED], run };
