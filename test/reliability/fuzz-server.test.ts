import { describe, expect, it, vi } from 'vitest';
import { ReplyStatus, TcpChanger } from '../../src/index.js';
import { DEFAULT_MAX_FRAME_SIZE, MAGIC, decodeResponse, encodeRequest, replyStatusName, type ResponseMessage } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { expectedOutcome, fuzzInputs, type FuzzInput } from '../support/fuzz-inputs.js';
import { serve } from '../support/membership-fixture.js';
import { MB, memorySample } from '../support/memory.js';
import { RawPeer, membershipPeer } from '../support/raw-peer.js';

// Random and mutated input against a live server, on many connections,
// while a TcpChanger keeps making legitimate changes. FUZZ_SEED=<n>
// replays a run; FUZZ_INPUTS and FUZZ_SECONDS make it longer.

const use = useCleanup();
const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
};
const SEED = envInt('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const INPUTS = envInt('FUZZ_INPUTS', 4_000);
const SECONDS = envInt('FUZZ_SECONDS', 20);
const CONCURRENCY = 16;
const WAIT_MS = 3_000;
const KNOWN_STATUSES = new Set<number>(Object.values(ReplyStatus));

/** Reads frames until `enough()` or the connection closes (or WAIT_MS passes). */
async function collect(peer: RawPeer, enough: (got: ResponseMessage[]) => boolean): Promise<ResponseMessage[]> {
  const got: ResponseMessage[] = [];
  while (!enough(got)) {
    let payload: Buffer;
    try {
      payload = await peer.readFrame(WAIT_MS);
    } catch {
      break;
    }
    got.push(decodeResponse(payload));
  }
  return got;
}

/** What happened to one input: the outcome seen, and what broke the documented one, if anything. */
type Verdict = { outcome: string; problem?: string };

/** Runs one input on its own connection. */
async function runFrames(address: string, input: FuzzInput): Promise<Verdict> {
  const peer = await membershipPeer(address);
  try {
    const { rids, ending } = expectedOutcome(input.bytes, DEFAULT_MAX_FRAME_SIZE);
    let sentinel = 0xffff_fff0;
    while (rids.includes(sentinel)) sentinel -= 1;
    peer.write(input.bytes);
    if (ending === 'open') peer.write(encodeRequest({ type: 'leave', rid: sentinel, id: 'sentinel' }));
    if (ending === 'incomplete') peer.socket.end();
    const answered = (got: ResponseMessage[]): boolean => ending === 'open' && got.length === rids.length + 1 && got.some((r) => r.rid === sentinel);
    let got: ResponseMessage[];
    try {
      got = await collect(peer, answered);
    } catch (err) {
      return { outcome: 'bad response', problem: `undecodable response: ${(err as Error).message}` };
    }
    const outcome = `${ending === 'open' ? 'answered' : 'closed'}, ${got.filter((r) => !r.ok).length ? 'with' : 'no'} bad_request`;
    const fail = (problem: string): Verdict => ({ outcome, problem });
    const left = [...rids];
    for (const r of got) {
      if (!r.ok && r.code !== 'bad_request') return fail(`unexpected code ${r.code} for rid ${r.rid}`);
      if (r.rid === sentinel && ending === 'open') continue;
      const at = left.indexOf(r.rid);
      if (at < 0) return fail(`response to rid ${r.rid}, which was never readable`);
      left.splice(at, 1);
    }
    if (ending === 'open') {
      if (peer.closed) return fail('closed a connection whose every frame had a readable rid');
      if (!answered(got)) return fail(`not every readable rid was answered (missing ${left.join(', ')})`);
      return { outcome };
    }
    await peer.waitClosed(WAIT_MS).catch(() => undefined);
    return peer.closed ? { outcome } : fail(`did not close after a ${ending === 'close' ? 'broken' : 'cut-short'} frame`);
  } finally {
    peer.close();
  }
}

async function runPreamble(address: string, input: FuzzInput): Promise<Verdict> {
  const peer = await RawPeer.connect(address);
  try {
    peer.write(input.bytes);
    peer.socket.end();
    const left = await peer.waitClosed(WAIT_MS).catch(() => undefined);
    if (left === undefined) return { outcome: 'open', problem: 'did not close' };
    if (left.length === 0) return { outcome: 'closed without a reply' };
    const status = left[0]!;
    const outcome = `preamble reply ${replyStatusName(status)}`;
    const fail = (problem: string): Verdict => ({ outcome, problem });
    if (!KNOWN_STATUSES.has(status)) return fail(`unknown reply status ${status}`);
    const prefix = Math.min(4, input.bytes.length);
    if (!input.bytes.subarray(0, prefix).equals(MAGIC.subarray(0, prefix)) && status !== ReplyStatus.BadPreamble) {
      return fail(`broken magic answered with status ${status}`);
    }
    if (status !== ReplyStatus.Accepted && status !== ReplyStatus.Challenge && left.length !== 2 + (left[1] ?? 0)) {
      return fail(`refusal followed by ${left.length - 2 - (left[1] ?? 0)} stray bytes`);
    }
    return { outcome };
  } finally {
    peer.close();
  }
}

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
    const { tried, violations, byHow, outcomes } = await runAll(inputs.slice(100), cluster.address, stopAt);
    stop = true;
    await legit;
    const after = memorySample();

    console.info(
      [
        `fuzz seed ${SEED} (FUZZ_SEED=${SEED} to replay): ${tried + 100} inputs on as many connections, ${violations.length} violations`,
        '  inputs:',
        ...Object.entries(byHow).sort().map(([how, n]) => `  ${String(n).padStart(6)}  ${how}`),
        '  outcomes:',
        ...Object.entries(outcomes).sort().map(([what, n]) => `  ${String(n).padStart(6)}  ${what}`),
        `  legitimate changes meanwhile: ${changes} made, ${lost.length} lost`,
        `  memory held: ${(before.held / MB).toFixed(1)} MB before, ${(after.held / MB).toFixed(1)} MB after`,
      ].join('\n'),
    );
    expect(violations.slice(0, 5)).toEqual([]);
    expect(lost).toEqual([]);
    expect(changes).toBeGreaterThan(0);
    expect([...cluster.raft.servers.keys()].filter((id) => id.startsWith('legit-'))).toEqual([]);
    expect(after.held - before.held).toBeLessThan(32 * MB);
    // Only the legitimate client's pooled connection stays, once the server has seen the last fuzz peers go.
    await vi.waitFor(() => expect(cluster.server.connectionCount).toBeLessThanOrEqual(1), { timeout: 3_000 });
  });
});

async function runAll(inputs: FuzzInput[], address: string, stopAt: number) {
  const violations: string[] = [];
  const byHow: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let next = 0;
  let tried = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length && performance.now() < stopAt) {
      const index = next++;
      const input = inputs[index]!;
      const { outcome, problem } = await (input.kind === 'frames' ? runFrames : runPreamble)(address, input);
      tried += 1;
      byHow[`${input.kind}: ${input.how}`] = (byHow[`${input.kind}: ${input.how}`] ?? 0) + 1;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (problem) violations.push(`input ${index} (${input.kind}, ${input.how}, ${input.bytes.toString('hex').slice(0, 80)}): ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { tried, violations, byHow, outcomes };
}
