import fc from 'fast-check';
import { Channel } from '../../src/index.js';
import { MAX_REQUEST_ID, decodePayload, encodeFrame, encodeHello, encodeRequest, type RequestMessage } from '../../src/protocol/index.js';

// Hostile inputs for a live server, and what docs/wire-format.md §9 says
// the server must do with each.

/** One fuzz input: bytes for the membership channel (after the preamble) or bytes that replace the preamble. */
export type FuzzInput = { readonly kind: 'frames' | 'preamble'; readonly how: string; readonly bytes: Buffer };

const request: fc.Arbitrary<RequestMessage> = fc.oneof(
  fc.record({
    type: fc.constant('join' as const),
    rid: fc.nat({ max: MAX_REQUEST_ID }),
    id: fc.string({ minLength: 1, maxLength: 24 }),
    address: fc.constantFrom('127.0.0.1:7000', '[fd00::3]:7000', 'node-4.example:65535'),
    role: fc.constantFrom('voter' as const, 'nonvoter' as const),
  }),
  fc.record({ type: fc.constant('leave' as const), rid: fc.nat({ max: MAX_REQUEST_ID }), id: fc.string({ minLength: 1, maxLength: 24 }) }),
);

type Mutation = (frame: Buffer) => Buffer;

const mutation: fc.Arbitrary<[string, Mutation]> = fc.oneof(
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips): [string, Mutation] => [
    'flipped bytes',
    (frame) => {
      const out = Buffer.from(frame);
      for (const [at, xor] of flips) out[at % out.length]! ^= xor;
      return out;
    },
  ]),
  fc.nat().map((n): [string, Mutation] => ['truncated', (frame) => frame.subarray(0, n % frame.length)]),
  fc
    .oneof(fc.integer({ min: -8, max: 8 }).map((d) => ({ d })), fc.constantFrom(0, 0xffff_ffff, 65_536, 65_537), fc.nat())
    .map((change): [string, Mutation] => [
      'length changed',
      (frame) => {
        const out = Buffer.from(frame);
        const length = typeof change === 'number' ? change : Math.max(0, out.readUInt32BE(0) + change.d);
        out.writeUInt32BE(length >>> 0, 0);
        return out;
      },
    ]),
  fc.uint8Array({ minLength: 1, maxLength: 40 }).map((tail): [string, Mutation] => ['garbage appended', (frame) => Buffer.concat([frame, tail])]),
);

/** Any JavaScript value msgpackr can pack; a value it cannot becomes an empty map. */
function packed(value: unknown): Buffer {
  try {
    return encodeFrame(value);
  } catch {
    return encodeFrame({});
  }
}

const frames: fc.Arbitrary<FuzzInput> = fc.oneof(
  fc.tuple(request, mutation).map(([r, [how, mutate]]) => ({ kind: 'frames' as const, how: `valid request, ${how}`, bytes: mutate(encodeRequest(r)) })),
  fc.anything({ maxDepth: 4 }).map((v) => ({ kind: 'frames' as const, how: 'fc.anything() packed', bytes: packed(v) })),
  fc
    .tuple(fc.oneof(fc.nat({ max: MAX_REQUEST_ID }), fc.integer(), fc.double(), fc.string()), fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 2 })))
    .map(([rid, rest]) => ({ kind: 'frames' as const, how: 'a map with a rid and random fields', bytes: packed({ ...rest, rid }) })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((payload) => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length, 0);
    return { kind: 'frames' as const, how: 'random payload, right length', bytes: Buffer.concat([header, payload]) };
  }),
  fc.array(request, { minLength: 2, maxLength: 6 }).map((rs) => ({ kind: 'frames' as const, how: 'valid requests back to back', bytes: Buffer.concat(rs.map(encodeRequest)) })),
);

const preambles: fc.Arbitrary<FuzzInput> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ kind: 'preamble' as const, how: 'random bytes', bytes: Buffer.from(b) })),
  fc
    .tuple(fc.constantFrom(Channel.Membership, Channel.Raft), fc.string({ maxLength: 8 }), mutation)
    .map(([channel, name, [how, mutate]]) => ({ kind: 'preamble' as const, how: `hello, ${how}`, bytes: mutate(encodeHello(channel, name)) })),
  fc.constantFrom('GET / HTTP/1.1\r\nHost: x\r\n\r\n', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 'SSH-2.0-OpenSSH_9.6\r\n').map((s) => ({
    kind: 'preamble' as const,
    how: 'another protocol',
    bytes: Buffer.from(s, 'latin1'),
  })),
);

/** `count` inputs from `seed`, about one in six a broken preamble. */
export function fuzzInputs(seed: number, count: number): FuzzInput[] {
  return fc.sample(fc.oneof({ arbitrary: frames, weight: 5 }, { arbitrary: preambles, weight: 1 }), { seed, numRuns: count });
}

/**
 * What the server must do with `bytes` sent after Accepted (§6, §9): answer
 * each complete frame whose payload is a map with a valid `rid`
 * (`bad_request` if it is not a valid request), and close without a
 * response at a zero or oversized length or any other payload. `ending`
 * says how the stream ends: `open` (all frames complete and answerable),
 * `close` (the server must close) or `incomplete` (a frame is cut short).
 */
export function expectedOutcome(bytes: Buffer, maxFrameSize: number): { rids: number[]; ending: 'open' | 'close' | 'incomplete' } {
  const rids: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 4) return { rids, ending: 'incomplete' };
    const length = bytes.readUInt32BE(at);
    if (length === 0 || length > maxFrameSize) return { rids, ending: 'close' };
    if (at + 4 + length > bytes.length) return { rids, ending: 'incomplete' };
    const rid = readableRid(bytes.subarray(at + 4, at + 4 + length));
    if (rid === undefined) return { rids, ending: 'close' };
    rids.push(rid);
    at += 4 + length;
  }
  return { rids, ending: 'open' };
}

function readableRid(payload: Buffer): number | undefined {
  let value: unknown;
  try {
    value = decodePayload(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return undefined;
  const rid = (value as { rid?: unknown }).rid;
  return Number.isInteger(rid) && (rid as number) >= 0 && (rid as number) <= MAX_REQUEST_ID ? (rid as number) : undefined;
}
