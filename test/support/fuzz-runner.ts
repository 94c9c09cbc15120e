import { ReplyStatus, type ServerAddress } from '../../src/index.js';
import { DEFAULT_MAX_FRAME_SIZE, MAGIC, decodeResponse, encodeRequest, replyStatusName, type ResponseMessage } from '../../src/protocol/index.js';
import { expectedOutcome, type FuzzInput } from './fuzz-inputs.js';
import { RawPeer, membershipPeer } from './raw-peer.js';

// Runs fuzz inputs (fuzz-inputs.ts) against a live server, each on its own
// connection, and checks each against docs/wire-format.md §9. Shared by the
// fuzz run against a FakeRaft and the one against a real raft cluster.

/** An integer from the environment, or `fallback`. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

const CONCURRENCY = 16;
const WAIT_MS = 3_000;
const KNOWN_STATUSES = new Set<number>(Object.values(ReplyStatus));

/**
 * Error codes a response may carry. Every server may answer `bad_request`;
 * a real raft follower also answers a valid request with a redirect.
 */
export type AllowedCodes = ReadonlySet<string>;
export const BAD_REQUEST_ONLY: AllowedCodes = new Set(['bad_request']);

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
async function runFrames(address: ServerAddress, input: FuzzInput, allowed: AllowedCodes): Promise<Verdict> {
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
    const outcome = `${ending === 'open' ? 'answered' : 'closed'}, ${got.filter((r) => !r.ok && r.code === 'bad_request').length ? 'with' : 'no'} bad_request`;
    const fail = (problem: string): Verdict => ({ outcome, problem });
    const left = [...rids];
    for (const r of got) {
      if (!r.ok && !allowed.has(r.code)) return fail(`unexpected code ${r.code} for rid ${r.rid}`);
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

async function runPreamble(address: ServerAddress, input: FuzzInput): Promise<Verdict> {
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

/** What a batch of inputs did: how many were tried, by kind, by outcome, and the violations. */
export interface FuzzTally {
  tried: number;
  violations: string[];
  byHow: Record<string, number>;
  outcomes: Record<string, number>;
}

/** Runs `inputs`, CONCURRENCY at a time, until they are all tried or `stopAt` (performance.now()) passes. */
export async function runAll(inputs: FuzzInput[], address: ServerAddress, stopAt: number, allowed: AllowedCodes = BAD_REQUEST_ONLY): Promise<FuzzTally> {
  const tally: FuzzTally = { tried: 0, violations: [], byHow: {}, outcomes: {} };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length && performance.now() < stopAt) {
      const index = next++;
      const input = inputs[index]!;
      const { outcome, problem } = await (input.kind === 'frames' ? runFrames(address, input, allowed) : runPreamble(address, input));
      tally.tried += 1;
      tally.byHow[`${input.kind}: ${input.how}`] = (tally.byHow[`${input.kind}: ${input.how}`] ?? 0) + 1;
      tally.outcomes[outcome] = (tally.outcomes[outcome] ?? 0) + 1;
      if (problem) tally.violations.push(`input ${index} (${input.kind}, ${input.how}, ${input.bytes.toString('hex').slice(0, 80)}): ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return tally;
}

/** The tally as printable lines: inputs by kind, then outcomes. */
export function tallyLines(tally: FuzzTally): string[] {
  return [
    '  inputs:',
    ...Object.entries(tally.byHow).sort().map(([how, n]) => `  ${String(n).padStart(6)}  ${how}`),
    '  outcomes:',
    ...Object.entries(tally.outcomes).sort().map(([what, n]) => `  ${String(n).padStart(6)}  ${what}`),
  ];
}
