import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  Channel,
  EmptyFrameError,
  FrameDecoder,
  FrameTooLargeError,
  NONCE_BYTES,
  ReplyStatus,
  computeProof,
  decodeRequest,
  decodeResponse,
  encodeHello,
  encodeReply,
  encodeRequest,
  encodeResponse,
  parseHello,
  parseReply,
  proofMatches,
  type RequestMessage,
  type ResponseMessage,
} from '../../src/protocol/index.js';
import { decodeFrames } from '../support/frames.js';

const DOC = new URL('../../docs/wire-format.md', import.meta.url);

interface DocVector {
  readonly name: string;
  readonly decodeOnly: boolean;
  readonly bytes: Buffer;
}

/** Every ```` ```hex vector=NAME [decode-only] ```` block of the document, in order. */
function readVectors(markdown: string): DocVector[] {
  const vectors: DocVector[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```hex(?:\s+(.*))?$/.exec(lines[i]!.trimEnd());
    if (!open) continue;
    const words = (open[1] ?? '').split(/\s+/).filter(Boolean);
    const name = words.find((w) => w.startsWith('vector='))?.slice('vector='.length);
    if (!name) throw new Error(`line ${i + 1}: hex block without vector=NAME`);
    const unknown = words.filter((w) => !w.startsWith('vector=') && w !== 'decode-only');
    if (unknown.length > 0) throw new Error(`vector ${name}: unknown attributes ${unknown.join(' ')}`);
    const hex: string[] = [];
    for (i++; i < lines.length && lines[i]!.trim() !== '```'; i++) {
      for (const token of lines[i]!.replace(/#.*/, '').split(/\s+/).filter(Boolean)) {
        if (!/^(?:[0-9a-fA-F]{2})+$/.test(token)) throw new Error(`vector ${name}: ${JSON.stringify(token)} is not hex bytes`);
        hex.push(token);
      }
    }
    if (i >= lines.length) throw new Error(`vector ${name}: block never closed`);
    vectors.push({ name, decodeOnly: words.includes('decode-only'), bytes: Buffer.from(hex.join(''), 'hex') });
  }
  return vectors;
}

// The fixed inputs of the authentication vectors, as the document states them.
const SECRET = Buffer.from('correct horse battery staple', 'ascii');
const SERVER_NONCE = Buffer.from(Array.from({ length: NONCE_BYTES }, (_, i) => i));
const CLIENT_NONCE = Buffer.from(Array.from({ length: NONCE_BYTES }, (_, i) => 0x20 + i));
const AUTH_HELLO = encodeHello(Channel.Raft, 'prod');

type Expected =
  | { readonly kind: 'hello'; readonly channel: Channel; readonly clusterName: string }
  | { readonly kind: 'reply'; readonly status: ReplyStatus; readonly detail: Buffer | (() => Buffer) }
  | { readonly kind: 'auth-answer' }
  | { readonly kind: 'request'; readonly value: RequestMessage; readonly decodeOnly?: true }
  | { readonly kind: 'response'; readonly value: ResponseMessage }
  | { readonly kind: 'bad-header'; readonly error: typeof FrameTooLargeError | typeof EmptyFrameError };

const failure = (code: string, message: string, leader?: string): Expected => ({
  kind: 'response',
  value: leader === undefined ? { rid: 7, ok: false, code, message } : { rid: 7, ok: false, code, message, leader },
});

const EXPECTED: Record<string, Expected> = {
  'hello-membership': { kind: 'hello', channel: Channel.Membership, clusterName: '' },
  'hello-raft-prod': { kind: 'hello', channel: Channel.Raft, clusterName: 'prod' },
  'reply-accepted': { kind: 'reply', status: ReplyStatus.Accepted, detail: Buffer.alloc(0) },
  'reply-challenge': { kind: 'reply', status: ReplyStatus.Challenge, detail: SERVER_NONCE },
  'reply-unsupported-version': { kind: 'reply', status: ReplyStatus.UnsupportedVersion, detail: Buffer.from([1]) },
  'reply-wrong-cluster': { kind: 'reply', status: ReplyStatus.WrongCluster, detail: Buffer.from('wrong cluster') },
  'reply-busy': { kind: 'reply', status: ReplyStatus.Busy, detail: Buffer.alloc(0) },
  'auth-answer': { kind: 'auth-answer' },
  'reply-accepted-proof': {
    kind: 'reply',
    status: ReplyStatus.Accepted,
    detail: () => computeProof('server', SECRET, AUTH_HELLO, SERVER_NONCE, CLIENT_NONCE),
  },
  'request-join': { kind: 'request', value: { type: 'join', rid: 1, id: 'node-2', address: '10.0.0.2:7000', role: 'voter' } },
  'request-join-nonvoter': {
    kind: 'request',
    value: { type: 'join', rid: 2, id: 'node-3', address: '[fd00::3]:7000', role: 'nonvoter' },
  },
  'request-leave': { kind: 'request', value: { type: 'leave', rid: 300, id: 'node-2' } },
  'request-members': { kind: 'request', value: { type: 'members', rid: 8 } },
  'request-members-page': { kind: 'request', value: { type: 'members', rid: 9, offset: 1000 } },
  'request-join-lenient': {
    kind: 'request',
    value: { type: 'join', rid: 5, id: 'node-4', address: 'node-4.example:7000', role: 'voter' },
    decodeOnly: true,
  },
  'response-ok-index': { kind: 'response', value: { rid: 1, ok: true, index: 42 } },
  'response-ok': { kind: 'response', value: { rid: 300, ok: true } },
  'response-members': {
    kind: 'response',
    value: {
      rid: 8,
      ok: true,
      index: 42,
      members: [
        { id: 'node-1', address: '10.0.0.1:7000', role: 'voter' },
        { id: 'node-3', address: '[fd00::3]:7000', role: 'nonvoter' },
      ],
    },
  },
  'response-members-page': {
    kind: 'response',
    value: { rid: 9, ok: true, index: 42, members: [{ id: 'node-5', address: '10.0.0.5:7000', role: 'voter' }], next: 1001 },
  },
  'response-different-leader': failure('different_leader', 'not the leader', '10.0.0.1:7000'),
  'response-unknown-leader': failure('unknown_leader', 'leader unknown'),
  'response-timeout': failure('timeout', 'not committed in time'),
  'response-bad-request': failure('bad_request', 'role must be voter'),
  'response-unsupported-role': failure('unsupported_role', 'cannot add as nonvoter'),
  'response-rejected': failure('rejected', 'address in use'),
  'response-shutting-down': failure('shutting_down', 'shutting down'),
  'response-internal': failure('internal', 'internal error'),
  'response-unsupported': { kind: 'response', value: { rid: 8, ok: false, code: 'unsupported', message: 'no configuration' } },
  'frame-oversized': { kind: 'bad-header', error: FrameTooLargeError },
  'frame-empty': { kind: 'bad-header', error: EmptyFrameError },
};

/** The one payload of a whole frame, through the real decoder. */
function onlyPayload(frame: Buffer): Buffer {
  const payloads = decodeFrames([frame]);
  expect(payloads).toHaveLength(1);
  return payloads[0]!;
}

const vectors = readVectors(readFileSync(DOC, 'utf8'));

describe('docs/wire-format.md vectors', () => {
  it('the document and this test name the same vectors, each once', () => {
    const names = vectors.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (name, vector) => {
    const expected = EXPECTED[name];
    if (!expected) throw new Error(`the test defines no value for vector ${name}`);
    const { bytes } = vector;
    expect(vector.decodeOnly).toBe(expected.kind === 'request' && expected.decodeOnly === true);
    switch (expected.kind) {
      case 'hello':
        expect(encodeHello(expected.channel, expected.clusterName)).toEqual(bytes);
        expect(parseHello(bytes)).toEqual({
          hello: { version: 1, channel: expected.channel, flags: 0, clusterName: expected.clusterName },
          length: bytes.length,
        });
        break;
      case 'reply': {
        const detail = typeof expected.detail === 'function' ? expected.detail() : expected.detail;
        expect(encodeReply(expected.status, detail)).toEqual(bytes);
        expect(parseReply(bytes)).toEqual({ reply: { status: expected.status, detail }, length: bytes.length });
        if (name === 'reply-accepted-proof') {
          expect(proofMatches(computeProof('server', SECRET, AUTH_HELLO, SERVER_NONCE, CLIENT_NONCE), bytes.subarray(2))).toBe(true);
        }
        break;
      }
      case 'auth-answer': {
        const proof = computeProof('client', SECRET, AUTH_HELLO, SERVER_NONCE, CLIENT_NONCE);
        expect(Buffer.concat([CLIENT_NONCE, proof])).toEqual(bytes);
        // What a server does with the answer: split it and recompute.
        const nonce = bytes.subarray(0, NONCE_BYTES);
        expect(nonce).toEqual(CLIENT_NONCE);
        expect(proofMatches(computeProof('client', SECRET, AUTH_HELLO, SERVER_NONCE, nonce), bytes.subarray(NONCE_BYTES))).toBe(true);
        break;
      }
      case 'request':
        expect(decodeRequest(onlyPayload(bytes))).toEqual(expected.value);
        if (expected.decodeOnly) expect(encodeRequest(expected.value)).not.toEqual(bytes);
        else expect(encodeRequest(expected.value)).toEqual(bytes);
        break;
      case 'response':
        expect(encodeResponse(expected.value)).toEqual(bytes);
        expect(decodeResponse(onlyPayload(bytes))).toEqual(expected.value);
        break;
      case 'bad-header': {
        const decoder = new FrameDecoder();
        expect(() => decoder.push(bytes, () => expect.unreachable('no payload'))).toThrow(expected.error);
        expect(decoder.bufferedBytes).toBe(0);
        break;
      }
    }
  });
});
