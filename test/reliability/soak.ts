/**
 * The soak: joins and leaves in a loop for SOAK_SECONDS (default 60) against
 * a server with a FakeRaft, from several clients, one of them behind a
 * fault proxy that cuts its connection every few seconds. Samples memory
 * (after a full GC) every SOAK_SAMPLE_SECONDS (default 5), prints a table,
 * and exits non-zero if a change was lost or memory grew by more than
 * SOAK_MAX_GROWTH_MB (default 16) after the warm-up.
 *
 * SOAK_RAFT=1 runs it against a real 3-server reference raft cluster
 * instead, killing and restarting its leader periodically (soak-raft.ts).
 *
 *   npm run soak
 *   SOAK_SECONDS=600 npm run soak
 *   SOAK_RAFT=1 npm run soak
 */
import { TcpChanger } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { serve } from '../support/membership-fixture.js';
import { MB } from '../support/memory.js';
import { soakRaft } from './soak-raft.js';
import { MAX_GROWTH_MB, SAMPLE_SECONDS, SECONDS, growthAfterWarmUp, sampleFor } from './support/soak-samples.js';

const CLIENTS = 4;
const CUT_EVERY_MS = 2_000;

async function main(): Promise<number> {
  const cluster = await serve();
  const proxy = await FaultProxy.start(cluster.address);
  const clients = Array.from(
    { length: CLIENTS },
    (_, i) => new TcpChanger({ address: `127.0.0.1:${7100 + i}`, minBackoffMs: 5, maxBackoffMs: 100 }),
  );
  let stop = false;
  let changes = 0;
  const lost: unknown[] = [];
  const loops = clients.map(async (client, c) => {
    // The last client goes through the proxy, whose links get cut.
    const target = c === CLIENTS - 1 ? proxy.address : cluster.address;
    for (let i = 0; !stop; i++) {
      const id = `c${c}-${i % 100}`;
      try {
        await client.join(id, target, 5_000);
        await client.leave(id, target, 5_000);
        changes += 2;
      } catch (err) {
        lost.push(err);
      }
      // The FakeRaft's call log is the test's memory, not the library's.
      if (cluster.raft.calls.length > 1_000) cluster.raft.calls.length = 0;
    }
  });
  const cutter = setInterval(() => proxy.cutAll(), CUT_EVERY_MS);

  console.log(`soak: ${SECONDS} s, ${CLIENTS} clients (one behind a proxy cutting its links every ${CUT_EVERY_MS} ms), sampling every ${SAMPLE_SECONDS} s`);
  const rows = await sampleFor(() => ({ changes, connections: cluster.server.connectionCount }));
  stop = true;
  clearInterval(cutter);
  await Promise.all(loops);
  for (const client of clients) client.close();
  await proxy.close();
  await cluster.close();

  const { baseline, peak, growthMB: growth } = growthAfterWarmUp(rows);
  console.log(
    `\nsoak done: ${changes} changes made, ${lost.length} lost; ${proxy.stats.cuts} connections cut by the proxy; ` +
      `memory held after warm-up ${(baseline / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB (+${growth.toFixed(1)} MB, bound ${MAX_GROWTH_MB} MB); ` +
      `connections left: ${cluster.server.connectionCount}`,
  );
  let failed = 0;
  if (lost.length > 0) {
    console.error(`FAIL: ${lost.length} changes lost, the first: ${String(lost[0])}`);
    failed = 1;
  }
  if (growth > MAX_GROWTH_MB) {
    console.error(`FAIL: memory grew by ${growth.toFixed(1)} MB after the warm-up`);
    failed = 1;
  }
  if (cluster.server.connectionCount !== 0) {
    console.error(`FAIL: ${cluster.server.connectionCount} connections left after close`);
    failed = 1;
  }
  return failed;
}

(process.env['SOAK_RAFT'] === '1' ? soakRaft() : main()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
