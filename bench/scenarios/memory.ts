/**
 * Scenario 9: memory with 10,000 joins in flight on one pooled connection,
 * held by the server (taken from `server.requests`, not yet done). Heap is
 * measured after a full GC with everything in flight, against the same
 * process before; RSS likewise (RSS only grows back slowly, so it is the
 * rougher figure). Client and server share the process, so the cost per
 * request is both sides' together. ops/s and latencies are those of the
 * whole batch: sent, all held, then all answered.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TcpChanger, type ChangeRequest } from '../../src/index.js';
import { Samples, nextTurn, summarize, type BenchConfig, type GroupReport, type ScenarioGroup } from '../harness.js';
import { SELF, answeringServer } from '../support.js';

const NAME = 'memory-10k-in-flight';
const IN_FLIGHT = 10_000;

function collector(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

async function run(config: BenchConfig): Promise<GroupReport> {
  const gc = collector();
  const held: ChangeRequest[] = [];
  let onHeld: (() => void) | undefined;
  const server = await answeringServer(
    (request) => {
      held.push(request);
      onHeld?.();
    },
    { maxInFlight: 16_384 },
  );
  const changer = new TcpChanger({ address: SELF });
  try {
    /** Sends `count` joins, waits until the server holds them all, measures, then answers them. */
    const batch = async (count: number) => {
      gc();
      await nextTurn();
      const before = process.memoryUsage();
      const latencies = new Samples();
      const start = performance.now();
      const allHeld = new Promise<void>((resolve) => {
        onHeld = () => {
          if (held.length === count) resolve();
        };
      });
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        calls.push(changer.join(`n${i}`, server.address, 30_000).then(() => latencies.push((performance.now() - t0) * 1000)));
      }
      await allHeld;
      onHeld = undefined;
      gc();
      const during = process.memoryUsage();
      for (const [i, request] of held.entries()) request.done(null, i + 2);
      held.length = 0;
      await Promise.all(calls);
      const elapsedMs = performance.now() - start;
      return {
        elapsedMs,
        latencies,
        heapPerRequest: (during.heapUsed - before.heapUsed) / count,
        rssPerRequest: (during.rss - before.rss) / count,
        heapMiB: during.heapUsed / 2 ** 20,
        rssMiB: during.rss / 2 ** 20,
      };
    };
    const count = config.smoke ? 200 : IN_FLIGHT;
    await batch(config.smoke ? 50 : 2_000); // warm-up: JIT and the pooled connection
    const m = await batch(count);
    const result = summarize('memory', NAME, count, m.elapsedMs, m.latencies, {
      heapBytesPerRequest: m.heapPerRequest,
      rssBytesPerRequest: m.rssPerRequest,
      heapMiB: m.heapMiB,
      rssMiB: m.rssMiB,
    });
    return { results: [result], ratios: [] };
  } finally {
    changer.close();
    await server.close();
  }
}

export const memoryGroup: ScenarioGroup = { name: 'memory', scenarios: [NAME], run };
