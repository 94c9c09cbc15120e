import { describe, expect, it, vi } from 'vitest';
import { TcpChanger } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { fuzzInputs } from '../support/fuzz-inputs.js';
import { envInt, runAll, tallyLines } from '../support/fuzz-runner.js';
import { serve } from '../support/membership-fixture.js';
import { MB, memorySample } from '../support/memory.js';

// Random and mutated input against a live server, on many connections,
// while a TcpChanger keeps making legitimate changes. FUZZ_SEED=<n>
// replays a run; FUZZ_INPUTS and FUZZ_SECONDS make it longer.

const use = useCleanup();
const SEED = envInt('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const INPUTS = envInt('FUZZ_INPUTS', 4_000);
const SECONDS = envInt('FUZZ_SECONDS', 20);

describe('fuzzing a live server', () => {
  it(`answers every malformed input as documented, stays up and keeps serving (seed ${SEED})`, { timeout: (SECONDS + 30) * 1_000 }, async () => {
    const cluster = use(await serve({}, new FakeRaft({ nonvoters: true })), (c) => c.close());
    // Raft streams a mutated hello happens to open are closed at once.
    void (async () => {
      for (;;) (await cluster.server.accept()).destroy();
    })().catch(() => undefined); // ends when the server closes
    const inputs = fuzzInputs(SEED, INPUTS);
    const stopAt = performance.now() + SECONDS * 1_000;

    // The legitimate traffic that must not notice.
    const client = use(new TcpChanger({ address: '127.0.0.1:7999', minBackoffMs: 5, maxBackoffMs: 100 }), (c) => c.close());
    let stop = false;
    let changes = 0;
    const lost: unknown[] = [];
    const legit = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await client.join(`legit-${i}`, cluster.address, 5_000);
          await client.leave(`legit-${i}`, cluster.address, 5_000);
          changes += 2;
          cluster.raft.calls.length = 0; // the FakeRaft's call log is the test's memory, not the server's
        } catch (err) {
          lost.push(err);
        }
      }
    })();

    await runAll(inputs.slice(0, 100), cluster.address, stopAt); // warm-up, so the baseline holds the code's own allocations
    const before = memorySample();
    const tally = await runAll(inputs.slice(100), cluster.address, stopAt);
    stop = true;
    await legit;
    const after = memorySample();

    console.info(
      [
        `fuzz seed ${SEED} (FUZZ_SEED=${SEED} to replay): ${tally.tried + 100} inputs on as many connections, ${tally.violations.length} violations`,
        ...tallyLines(tally),
        `  legitimate changes meanwhile: ${changes} made, ${lost.length} lost`,
        `  memory held: ${(before.held / MB).toFixed(1)} MB before, ${(after.held / MB).toFixed(1)} MB after`,
      ].join('\n'),
    );
    expect(tally.violations.slice(0, 5)).toEqual([]);
    expect(lost).toEqual([]);
    expect(changes).toBeGreaterThan(0);
    expect([...cluster.raft.servers.keys()].filter((id) => id.startsWith('legit-'))).toEqual([]);
    expect(after.held - before.held).toBeLessThan(32 * MB);
    // Only the legitimate client's pooled connection stays, once the server has seen the last fuzz peers go.
    await vi.waitFor(() => expect(cluster.server.connectionCount).toBeLessThanOrEqual(1), { timeout: 3_000 });
  });
});
