import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ANSWER_BYTES, Channel, NONCE_BYTES, PROOF_BYTES, computeProof, encodeHello, newNonce, proofMatches } from '../../src/protocol/index.js';

const secret = Buffer.from('s3cret');
const hello = encodeHello(Channel.Membership, 'prod');
const ns = Buffer.alloc(NONCE_BYTES, 0x11);
const nc = Buffer.alloc(NONCE_BYTES, 0x22);
const inputs = { secret, hello, ns, nc };
type Inputs = typeof inputs;

const proof = (side: 'client' | 'server', i: Inputs = inputs): Buffer => computeProof(side, i.secret, i.hello, i.ns, i.nc);

/** `bytes` with byte `at` flipped. */
function flip(bytes: Buffer, at: number): Buffer {
  const out = Buffer.from(bytes);
  out[at] = out[at]! ^ 0x01;
  return out;
}

describe('computeProof', () => {
  it.each(['client', 'server'] as const)('is the documented HMAC for the %s', (side) => {
    const expected = createHmac('sha256', secret)
      .update(`raft-membership v1 ${side}`)
      .update(Buffer.concat([hello, ns, nc]))
      .digest();
    expect(proof(side)).toEqual(expected);
    expect(proof(side)).toHaveLength(PROOF_BYTES);
  });

  it('differs by side', () => {
    expect(proof('client')).not.toEqual(proof('server'));
  });

  it.each(Object.keys(inputs) as Array<keyof Inputs>)('changes with any byte of %s', (field) => {
    for (const side of ['client', 'server'] as const) {
      const original = proof(side);
      for (let at = 0; at < inputs[field].length; at++) {
        expect(proof(side, { ...inputs, [field]: flip(inputs[field], at) })).not.toEqual(original);
      }
    }
  });

  it('changes when the nonces are swapped', () => {
    expect(proof('client', { ...inputs, ns: nc, nc: ns })).not.toEqual(proof('client'));
  });
});

describe('proofMatches', () => {
  const expected = proof('server');

  it('accepts the same bytes in another buffer', () => {
    expect(proofMatches(expected, new Uint8Array(expected))).toBe(true);
  });

  it('refuses any one byte changed', () => {
    for (let at = 0; at < expected.length; at++) expect(proofMatches(expected, flip(expected, at))).toBe(false);
  });

  it.each([0, 1, PROOF_BYTES - 1, PROOF_BYTES + 1, ANSWER_BYTES])('refuses a proof of %d bytes without throwing', (length) => {
    const received = Buffer.alloc(length);
    expected.copy(received);
    expect(proofMatches(expected, received)).toBe(false);
  });
});

describe('newNonce', () => {
  it('gives fresh nonces of the nonce size', () => {
    const a = newNonce();
    const b = newNonce();
    expect(a).toHaveLength(NONCE_BYTES);
    expect(a).not.toEqual(b);
  });

  it('sizes the answer as nonce then proof', () => {
    expect(ANSWER_BYTES).toBe(NONCE_BYTES + PROOF_BYTES);
  });
});
