/**
 * The soak: joins and leaves in a loop for SOAK_SECONDS (default 60) against
 * a server with a FakeRaft, from several clients, one of them behind a
 * fault proxy that cuts its connection every few seconds. Samples memory
 * (after a full GC) every SOAK_SAMPLE_SECONDS (default 5), prints a table,
 * and exits non-zero if a change was lost or memory grew by more than
 * SOAK_MAX_GROWTH_MB (default 16) after the warm-up.
 *
 *   npm run soak
 *   SOAK_SECONDS=600 npm run soak
 */
import { TcpChanger } from '../../src/index.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { serve } from '../support/membership-fixture.js';
import { MB, memorySample, type MemorySample } from '../support/memory.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

const SECONDS = envNumber('SOAK_SECONDS', 60);
const SAMPLE_SECONDS = envNumber('SOAK_SAMPLE_SECONDS', 5);
const MAX_GROWTH_MB = envNumber('SOAK_MAX_GROWTH_MB', 16);
const CLIENTS = 4;
const CUT_EVERY_MS = 2_000;
/** Samples before this are warm-up: the JIT, pools and buffers settle. */
const WARM_UP_SECONDS = Math.min(10, SECONDS / 4);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  const started = performance.now();
  const rows: Array<{ at: number; changes: number; sample: MemorySample; connections: number }> = [];
  console.log(`soak: ${SECONDS} s, ${CLIENTS} clients (one behind a proxy cutting its links every ${CUT_EVERY_MS} ms), sampling every ${SAMPLE_SECONDS} s`);
  console.log('   t (s)   changes   changes/s   heapUsed MB   buffers MB   RSS MB   connections');
  let lastChanges = 0;
  let lastAt = 0;
  while (performance.now() - started < SECONDS * 1_000) {
    await sleep(Math.min(SAMPLE_SECONDS * 1_000, SECONDS * 1_000 - (performance.now() - started)));
    const at = (performance.now() - started) / 1_000;
    const sample = memorySample();
    const row = { at, changes, sample, connections: cluster.server.connectionCount };
    rows.push(row);
    const rate = (changes - lastChanges) / (at - lastAt);
    [lastChanges, lastAt] = [changes, at];
    console.log(
      [
        at.toFixed(1).padStart(8),
        String(changes).padStart(9),
        rate.toFixed(0).padStart(11),
        (sample.heapUsed / MB).toFixed(1).padStart(13),
        (sample.arrayBuffers / MB).toFixed(1).padStart(12),
        (sample.rss / MB).toFixed(1).padStart(8),
        String(row.connections).padStart(13),
      ].join(' '),
    );
  }
  stop = true;
  clearInterval(cutter);
  await Promise.all(loops);
  for (const client of clients) client.close();
  await proxy.close();
  await cluster.close();

  const settled = rows.filter((r) => r.at >= WARM_UP_SECONDS);
  const baseline = settled[0] ?? rows[0]!;
  const peak = settled.reduce((max, r) => Math.max(max, r.sample.held), baseline.sample.held);
  const growth = (peak - baseline.sample.held) / MB;
  console.log(
    `\nsoak done: ${changes} changes made, ${lost.length} lost; ${proxy.stats.cuts} connections cut by the proxy; ` +
      `memory held after warm-up ${(baseline.sample.held / MB).toFixed(1)} MB, peak ${(peak / MB).toFixed(1)} MB (+${growth.toFixed(1)} MB, bound ${MAX_GROWTH_MB} MB); ` +
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

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
