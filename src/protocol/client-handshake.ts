import { NONCE_BYTES, PROOF_BYTES, computeProof, newNonce, proofMatches } from './auth.js';
import { AuthenticationError, BadPreambleError, HandshakeRefusedError } from './errors.js';
import { ReplyStatus, encodeHello, parseReply, replyStatusName, type Channel } from './preamble.js';

/** What the dialing side says and requires. */
export interface ClientHandshakeOptions {
  readonly channel: Channel;
  /** The cluster's name. @default '' */
  readonly clusterName?: string;
  /** The shared secret; when set, the server must prove it knows it too. */
  readonly secret?: Uint8Array;
}

/** The next step, as {@link ClientHandshake.push} returns it. */
export type ClientStep =
  | { readonly kind: 'need-more'; readonly send?: Buffer }
  | { readonly kind: 'accepted'; readonly rest: Buffer };

/**
 * The dialing side of the preamble as a pure state machine: send `hello`,
 * then feed the bytes received until it says `accepted` (with the bytes
 * past the preamble). A refusal throws {@link HandshakeRefusedError}, a
 * failed proof {@link AuthenticationError}.
 */
export class ClientHandshake {
  /** The bytes to send first. */
  readonly hello: Buffer;
  readonly #secret: Uint8Array | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #nonces: { server: Buffer; client: Buffer } | undefined;

  constructor(options: ClientHandshakeOptions) {
    this.hello = encodeHello(options.channel, options.clusterName ?? '');
    this.#secret = options.secret;
  }

  /** Feeds received bytes. */
  push(chunk: Buffer): ClientStep {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    refuseText(this.#buffer);
    const parsed = parseReply(this.#buffer);
    if (!parsed) return { kind: 'need-more' };
    const { reply, length } = parsed;
    this.#buffer = this.#buffer.subarray(length);
    switch (reply.status) {
      case ReplyStatus.Challenge:
        return this.#answer(reply.detail);
      case ReplyStatus.Accepted:
        this.#checkServerProof(reply.detail);
        return { kind: 'accepted', rest: this.#buffer };
      case ReplyStatus.UnsupportedVersion:
        // §3: the detail is exactly the one byte of a version; any other
        // length is a broken reply, never read from its first byte.
        if (reply.detail.length !== 1) throw new BadPreambleError(`UnsupportedVersion carries ${reply.detail.length} bytes of detail, not 1`);
        throw new HandshakeRefusedError(reply.status, replyStatusName(reply.status), `server speaks up to version ${reply.detail[0]!}`);
      default:
        throw new HandshakeRefusedError(reply.status, replyStatusName(reply.status), reply.detail.toString('utf8'));
    }
  }

  #answer(serverNonce: Buffer): ClientStep {
    if (!this.#secret) throw new AuthenticationError('server requires a shared secret, and none is configured');
    if (this.#nonces) throw new AuthenticationError('server challenged twice');
    if (serverNonce.length !== NONCE_BYTES) throw new AuthenticationError(`challenge nonce is ${serverNonce.length} bytes, not ${NONCE_BYTES}`);
    const client = newNonce();
    this.#nonces = { server: Buffer.from(serverNonce), client };
    const proof = computeProof('client', this.#secret, this.hello, serverNonce, client);
    // The server says nothing more until it has read this answer.
    return { kind: 'need-more', send: Buffer.concat([client, proof]) };
  }

  #checkServerProof(detail: Buffer): void {
    if (!this.#secret) {
      if (detail.length !== 0) throw new BadPreambleError(`Accepted carries ${detail.length} bytes of detail where none belong`);
      return;
    }
    if (!this.#nonces) throw new AuthenticationError('server accepted without proving it knows the shared secret');
    const expected = computeProof('server', this.#secret, this.hello, this.#nonces.server, this.#nonces.client);
    if (detail.length !== PROOF_BYTES || !proofMatches(expected, detail)) {
      throw new AuthenticationError("server's proof of the shared secret is wrong");
    }
  }
}

/** Printable ASCII: no reply status is (they are below 0x20), and every text protocol starts with it. */
const isText = (byte: number): boolean => byte >= 0x20 && byte <= 0x7e;

/**
 * A reply that starts with two printable characters is text: some other
 * server (HTTP, SSH, SMTP…) listens at the address. Its first byte is an
 * unknown status, a refusal (§3), but read as a reply it would wait for as
 * many bytes as its second character's code: an SSH banner would leave the
 * dial waiting for its deadline. It is refused at once instead, quoting
 * the start of what came.
 */
function refuseText(reply: Buffer): void {
  if (reply.length < 2 || !isText(reply[0]!) || !isText(reply[1]!)) return;
  let end = 0;
  while (end < reply.length && end < 60 && isText(reply[end]!)) end += 1;
  const quoted = JSON.stringify(reply.toString('latin1', 0, end));
  throw new HandshakeRefusedError(reply[0]!, replyStatusName(reply[0]!), `not a raft-membership server: it answered ${quoted}${end < reply.length ? '…' : ''}`);
}
