/**
 * Scenario 7: encoding and decoding a join frame (the server's side of a
 * request: the frame's payload through `decodeRequest`, validation included).
 * Timed in batches, since one call is shorter than the clock's grain: each
 * latency sample is a batch's mean.
 */
import { decodeRequest, encodeRequest, type JoinMessage } from '../../src/protocol/messages.js';
import { FRAME_HEADER_BYTES } from '../../src/protocol/msgpack.js';
import { Samples, interleave, type BenchConfig, type Case, type GroupReport, type ScenarioGroup } from '../harness.js';
import { JOIN_FRAME, JOIN_ID, SELF } from '../support.js';

const ENCODE = 'codec-encode-join';
const DECODE = 'codec-decode-join';
const BATCH = 1_000;

/** Where results go so the optimizer cannot drop the work. */
let sink = 0;

function batched(name: string, op: (i: number) => number): Case {
  return {
    name,
    round: ({ iterations, ms }) => {
      const latencies = new Samples();
      const start = performance.now();
      let now = start;
      let ops = 0;
      while (ops < iterations && now - start < ms) {
        const t0 = now;
        for (let i = 0; i < BATCH; i++) sink ^= op(i);
        now = performance.now();
        latencies.push(((now - t0) * 1000) / BATCH);
        ops += BATCH;
      }
      return Promise.resolve({ ops, elapsedMs: now - start, latenciesUs: latencies.sorted() });
    },
  };
}

async function run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport> {
  const join: JoinMessage = { type: 'join', rid: 1, id: JOIN_ID, address: SELF, role: 'voter' };
  const payload = JOIN_FRAME.subarray(FRAME_HEADER_BYTES);
  const cases: Case[] = [];
  if (selected.includes(ENCODE)) cases.push(batched(ENCODE, (i) => encodeRequest({ ...join, rid: i }).length));
  if (selected.includes(DECODE)) cases.push(batched(DECODE, () => decodeRequest(payload).rid));
  const results = await interleave('codec', cases, {
    warmup: config.smoke ? { iterations: BATCH, ms: 1_000 } : { iterations: 200_000, ms: 1_000 },
    round: config.smoke ? { iterations: BATCH, ms: Infinity } : { iterations: Infinity, ms: 300 },
    rounds: config.smoke ? 2 : 6,
  });
  if (sink === 0.5) console.log(sink);
  return { results, ratios: [] };
}

export const codecGroup: ScenarioGroup = { name: 'codec', scenarios: [ENCODE, DECODE], run };
