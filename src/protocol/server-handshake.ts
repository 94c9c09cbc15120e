import { ANSWER_BYTES, NONCE_BYTES, computeProof, newNonce, proofMatches } from './auth.js';
import { BadPreambleError } from './errors.js';
import { Channel, HELLO_HEADER_BYTES, MAGIC, PROTOCOL_VERSION, ReplyStatus, encodeReply, parseHello, type Hello } from './preamble.js';

/** What the accepting side requires of a dialer. */
export interface ServerHandshakeOptions {
  /** The cluster's name; a hello must carry the same. @default '' */
  readonly clusterName?: string;
  /** The shared secret; when set, every dialer must prove it knows it. */
  readonly secret?: Uint8Array;
}

/** The next step of a handshake, as {@link ServerHandshake.push} returns it. */
export type ServerStep =
  | { readonly kind: 'need-more'; readonly send?: Buffer }
  | { readonly kind: 'accepted'; readonly send: Buffer; readonly channel: Channel; readonly rest: Buffer }
  | RefusedStep;

/** A refusal: send the reply, then close. */
export interface RefusedStep {
  readonly kind: 'refused';
  readonly send: Buffer;
  readonly reason: string;
}

/** A refusal for the server's own reasons (too many connections, closing). */
export function refusal(status: ReplyStatus, reason: string): RefusedStep {
  return { kind: 'refused', send: encodeReply(status, reason), reason };
}

/**
 * The accepting side of the preamble as a pure state machine: feed it the
 * bytes received; it says what to send and when the connection is accepted
 * (with the bytes past the preamble, which belong to the channel) or
 * refused (send the reply, then close).
 */
export class ServerHandshake {
  readonly #clusterName: string;
  readonly #secret: Uint8Array | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  #hello: { hello: Hello; bytes: Buffer } | undefined;
  #serverNonce: Buffer | undefined;
  #finished = false;

  constructor(options: ServerHandshakeOptions = {}) {
    this.#clusterName = options.clusterName ?? '';
    this.#secret = options.secret;
  }

  /** The hello, once read. */
  get hello(): Hello | undefined {
    return this.#hello?.hello;
  }

  /** Feeds received bytes. Call no more after `accepted` or `refused`. */
  push(chunk: Buffer): ServerStep {
    if (this.#finished) throw new Error('handshake already finished');
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    return this.#hello ? this.#readAnswer() : this.#readHello();
  }

  #refuse(status: ReplyStatus, reason: string): RefusedStep {
    this.#finished = true;
    return refusal(status, reason);
  }

  #readHello(): ServerStep {
    const bytes = this.#buffer;
    // The version is judged before anything else in the hello but the magic
    // (§2): only the header's layout is fixed across versions, so a name
    // another version may encode differently must not make it BadPreamble.
    const whole = bytes.length >= HELLO_HEADER_BYTES && bytes.length >= HELLO_HEADER_BYTES + bytes[7]!;
    if (whole && bytes.compare(MAGIC, 0, MAGIC.length, 0, MAGIC.length) === 0 && bytes[4] !== PROTOCOL_VERSION) {
      this.#finished = true;
      return {
        kind: 'refused',
        send: encodeReply(ReplyStatus.UnsupportedVersion, Buffer.from([PROTOCOL_VERSION])),
        reason: `unsupported protocol version ${bytes[4]}`,
      };
    }
    let parsed;
    try {
      parsed = parseHello(bytes);
    } catch (err) {
      return this.#refuse(ReplyStatus.BadPreamble, (err as BadPreambleError).message);
    }
    if (!parsed) return { kind: 'need-more' };
    const { hello, length } = parsed;
    if (hello.flags !== 0) return this.#refuse(ReplyStatus.BadPreamble, `flags must be 0 in version 1, got ${hello.flags}`);
    if (hello.channel !== Channel.Membership && hello.channel !== Channel.Raft) {
      return this.#refuse(ReplyStatus.UnknownChannel, `unknown channel ${hello.channel}`);
    }
    if (hello.clusterName !== this.#clusterName) {
      return this.#refuse(ReplyStatus.WrongCluster, `cluster name ${JSON.stringify(hello.clusterName)} is not this cluster's`);
    }
    this.#hello = { hello, bytes: Buffer.from(this.#buffer.subarray(0, length)) };
    this.#buffer = this.#buffer.subarray(length);
    if (!this.#secret) return this.#accept(encodeReply(ReplyStatus.Accepted));
    this.#serverNonce = newNonce();
    const challenge = encodeReply(ReplyStatus.Challenge, this.#serverNonce);
    const next = this.#buffer.length > 0 ? this.#readAnswer() : ({ kind: 'need-more' } as const);
    // The challenge goes out before whatever the answer step sends.
    return next.kind === 'need-more' ? { kind: 'need-more', send: challenge } : { ...next, send: Buffer.concat([challenge, next.send]) };
  }

  #readAnswer(): ServerStep {
    if (this.#buffer.length < ANSWER_BYTES) return { kind: 'need-more' };
    const hello = this.#hello!;
    const secret = this.#secret!;
    const serverNonce = this.#serverNonce!;
    const clientNonce = this.#buffer.subarray(0, NONCE_BYTES);
    const proof = this.#buffer.subarray(NONCE_BYTES, ANSWER_BYTES);
    if (!proofMatches(computeProof('client', secret, hello.bytes, serverNonce, clientNonce), proof)) {
      return this.#refuse(ReplyStatus.AuthFailed, 'authentication failed');
    }
    const serverProof = computeProof('server', secret, hello.bytes, serverNonce, clientNonce);
    this.#buffer = this.#buffer.subarray(ANSWER_BYTES);
    return this.#accept(encodeReply(ReplyStatus.Accepted, serverProof));
  }

  #accept(send: Buffer): ServerStep {
    this.#finished = true;
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return { kind: 'accepted', send, channel: this.#hello!.hello.channel as Channel, rest };
  }
}
