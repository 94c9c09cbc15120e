import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes of each nonce, and of each proof (HMAC-SHA256). */
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;

/** The dialer's answer to a challenge: its nonce, then its proof. */
export const ANSWER_BYTES = NONCE_BYTES + PROOF_BYTES;

const CLIENT_LABEL = Buffer.from('raft-membership v1 client', 'latin1');
const SERVER_LABEL = Buffer.from('raft-membership v1 server', 'latin1');

/** A fresh random nonce. */
export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

/**
 * The proof one side sends: HMAC-SHA256 keyed with the shared secret over a
 * label naming the side, the hello exactly as sent, then the server's and
 * the dialer's nonces. Binding the hello keeps channel and cluster name from
 * being changed in flight; the side's label keeps a proof from being
 * reflected back.
 */
export function computeProof(side: 'client' | 'server', secret: Uint8Array, hello: Uint8Array, serverNonce: Uint8Array, clientNonce: Uint8Array): Buffer {
  return createHmac('sha256', secret)
    .update(side === 'client' ? CLIENT_LABEL : SERVER_LABEL)
    .update(hello)
    .update(serverNonce)
    .update(clientNonce)
    .digest();
}

/** Compares a received proof with the expected one in constant time. */
export function proofMatches(expected: Buffer, received: Uint8Array): boolean {
  return received.length === expected.length && timingSafeEqual(expected, received);
}
