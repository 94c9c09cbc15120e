import type { ServerAddress } from '../../membership/types.js';
import { computeProof, PROOF_BYTES, newNonce, proofMatches } from '../../protocol/auth.js';
import { MAGIC, ReplyStatus, replyStatusName, type Reply } from '../../protocol/preamble.js';
import { fail, pass, skip, type Verdict } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { checkResponse, describeResponse, type CheckedResponse } from '../response-check.js';
import { WirePeer, describeEnd, hex } from '../wire-peer.js';
import { CONFORMANCE_ID_PREFIX, type ResolvedServerConformanceOptions } from './server-options.js';

/** The fields of a hello (§2), any of them as odd as a case wants. */
export interface HelloFields {
  readonly magic?: Buffer;
  readonly version?: number;
  readonly channel?: number;
  readonly flags?: number;
  /** The name's bytes (UTF-8 of the cluster name when not given). */
  readonly name?: Buffer;
}

/** What the kit learnt about the target before the cases. */
export interface TargetFacts {
  /** The target answered a harmless request itself (it leads). */
  readonly leads: boolean;
  /** What the target answered the harmless request, for notes. */
  readonly answer: string;
}

/** Why a case could not get as far as what it checks (the preamble failed, say). */
export class SetupFailure extends Error {}

/**
 * What the server cases share: the target, the options, a fresh set of
 * connections per case (closed when the case ends), and the membership
 * changes made (undone at the end of the run).
 */
export class ServerContext {
  readonly #peers = new Set<WirePeer>();

  constructor(
    readonly target: ServerAddress,
    readonly options: ResolvedServerConformanceOptions,
    readonly facts: TargetFacts,
    readonly changes: ChangeLog,
  ) {}

  /** A new connection to `address` (the target by default), closed when the case ends. */
  async open(address: ServerAddress = this.target): Promise<WirePeer> {
    const peer = await WirePeer.open(address, { tls: this.options.tls, timeoutMs: this.options.waitMs });
    this.#peers.add(peer);
    return peer;
  }

  /** Closes every connection the case opened. */
  release(): void {
    for (const peer of this.#peers) peer.destroy();
    this.#peers.clear();
  }

  /** A hello with the target's cluster name, fields overridden as given. */
  hello(fields: HelloFields = {}): Buffer {
    const name = fields.name ?? Buffer.from(this.options.clusterName, 'utf8');
    return Buffer.concat([fields.magic ?? MAGIC, Buffer.from([fields.version ?? 1, fields.channel ?? 1, fields.flags ?? 0, name.length]), name]);
  }

  /** Opens a connection, sends `hello` (the target's own by default) and reads the reply; or the verdict that none came. */
  async helloReply(hello: Buffer = this.hello()): Promise<{ peer: WirePeer; reply: Reply } | { verdict: Verdict }> {
    const peer = await this.open();
    peer.send(hello);
    const read = await peer.readReply(this.options.waitMs);
    return read.ok ? { peer, reply: read.reply } : { verdict: fail(`no reply: ${describeEnd(read)}`) };
  }

  /**
   * A connection through its preamble on `channel`, answering a Challenge
   * when the kit has the secret. Throws {@link SetupFailure} if the target
   * does not accept: cases that need a channel cannot judge anything else.
   */
  async accepted(channel = 1, address: ServerAddress = this.target): Promise<WirePeer> {
    const peer = await this.open(address);
    const hello = this.hello({ channel });
    peer.send(hello);
    const first = await peer.readReply(this.options.waitMs);
    if (!first.ok) throw new SetupFailure(`the preamble did not complete: ${describeEnd(first)}`);
    if (first.reply.status === ReplyStatus.Accepted) return peer;
    if (first.reply.status !== ReplyStatus.Challenge) throw new SetupFailure(`the preamble was refused: ${describeReply(first.reply)}`);
    if (!this.options.secret) throw new SetupFailure('the target asks for a shared secret: give the kit the secret');
    const answer = this.authAnswer(hello, first.reply.detail);
    peer.send(answer.bytes);
    const second = await peer.readReply(this.options.waitMs);
    if (!second.ok) throw new SetupFailure(`no reply to the auth answer: ${describeEnd(second)}`);
    if (second.reply.status !== ReplyStatus.Accepted) throw new SetupFailure(`the auth answer was refused: ${describeReply(second.reply)}`);
    return peer;
  }

  /** The auth answer (§4) for `hello` and the server nonce, and the proof the server must send back. */
  authAnswer(hello: Buffer, serverNonce: Buffer, secret: Uint8Array = this.options.secret!): { bytes: Buffer; serverProof: Buffer } {
    const clientNonce = newNonce();
    const proof = computeProof('client', secret, hello, serverNonce, clientNonce);
    return { bytes: Buffer.concat([clientNonce, proof]), serverProof: computeProof('server', secret, hello, serverNonce, clientNonce) };
  }

  /** True when `detail` is the server's proof for this exchange. */
  static proofOk(expected: Buffer, detail: Buffer): boolean {
    return detail.length === PROOF_BYTES && proofMatches(expected, detail);
  }

  /** A fresh id no server has: the prefix, this run's token, and `what`. */
  id(what: string): string {
    return `${CONFORMANCE_ID_PREFIX}${this.changes.token}-${what}`;
  }

  /**
   * The pairs of a request that changes nothing and every server answers:
   * a leave of an id no server has (§8: a success, with nothing changed).
   */
  harmlessPairs(rid: Buffer): [string, Buffer][] {
    return [
      ['type', mp.str('leave')],
      ['rid', rid],
      ['id', mp.str(this.id('absent'))],
    ];
  }

  /** The harmless request with `rid`, as a frame. */
  harmless(rid: number): Buffer {
    return mp.frame(mp.fields(this.harmlessPairs(mp.int(rid))));
  }

  /** Reads one response, checked as the answer to a change or to `members`. */
  async response(peer: WirePeer, answering: 'change' | 'members' = 'change'): Promise<{ ok: true; response: CheckedResponse; length: number } | { ok: false; observed: string }> {
    const read = await peer.readFrame(this.options.waitMs);
    if (!read.ok) return { ok: false, observed: `no response: ${describeEnd(read)}` };
    if (read.payload === undefined) return { ok: false, observed: `a frame header declaring ${read.length} bytes` };
    return { ok: true, response: checkResponse(read.payload, answering), length: read.length };
  }

  /**
   * The verdict on a request the target must accept and answer: a valid
   * response with `rid` that is not `bad_request`.
   */
  async answered(peer: WirePeer, rid: number, answering: 'change' | 'members' = 'change'): Promise<Verdict> {
    const got = await this.response(peer, answering);
    if (!got.ok) return fail(got.observed);
    const { response } = got;
    if (response.problems.length > 0) return fail(`answered with ${response.problems.join('; ')}`);
    if (response.rid !== rid) return fail(`answered rid ${response.rid}, not ${rid}`);
    if (response.code === 'bad_request') return fail(`refused as bad_request: ${JSON.stringify(response.message)}`);
    return pass(`answered: ${describeResponse(response)}`);
  }

  /** The verdict on a request the target must answer `code` (with `rid`), keeping the connection open. */
  async refusedWith(peer: WirePeer, rid: number, code: string, answering: 'change' | 'members' = 'change'): Promise<Verdict> {
    const got = await this.response(peer, answering);
    if (!got.ok) return fail(got.observed);
    const { response } = got;
    if (response.problems.length > 0) return fail(`answered with ${response.problems.join('; ')}`);
    if (response.rid !== rid) return fail(`answered rid ${response.rid}, not ${rid}`);
    if (response.code !== code) return fail(`answered ${describeResponse(response)}, not ${code}`);
    return pass(`answered ${code}: ${JSON.stringify(response.message ?? '')}`);
  }

  /** The verdict on input the target must answer by closing the connection without a response. */
  async closedSilently(peer: WirePeer): Promise<Verdict> {
    return this.closedWithin(peer, 0);
  }

  /**
   * The verdict on a connection the target must close, sending nothing,
   * once its `limitMs` has passed (the kit waits that and its own wait).
   */
  async closedWithin(peer: WirePeer, limitMs: number): Promise<Verdict> {
    const began = Date.now();
    const { end, received } = await peer.waitEnd(limitMs + this.options.waitMs);
    if (received.length > 0) return fail(`sent ${received.length} bytes (${hex(received)}) instead of closing without a reply or response`);
    if (end === 'timeout') return fail(`the connection was still open after ${limitMs + this.options.waitMs} ms`);
    return pass(`${end === 'reset' ? 'reset' : 'closed'} the connection without a reply or response${limitMs > 0 ? ` after ${Date.now() - began} ms` : ''}`);
  }

  /** The verdict on a hello the target must refuse with `status` (then close). */
  async refusedHello(peer: WirePeer, status: ReplyStatus): Promise<Verdict> {
    const read = await peer.readReply(this.options.waitMs);
    if (!read.ok) return fail(`no reply: ${describeEnd(read)}`);
    const { reply } = read;
    if (reply.status !== status) return fail(`replied ${describeReply(reply)}, not ${replyStatusName(status)}`);
    if (status !== ReplyStatus.UnsupportedVersion && !isUtf8(reply.detail)) return fail(`replied ${replyStatusName(status)} with a reason that is not UTF-8 (§3)`);
    return pass(`replied ${describeReply(reply)}`);
  }

  /**
   * Sends a join of `id` at `address` (role: the run's join role) as rid
   * `rid`, with `extra` fields, and reads the answer. A join the target
   * accepts is recorded, to be undone at the end of the run.
   */
  async join(
    peer: WirePeer,
    rid: number,
    id: string,
    address: string | Buffer,
    extra: readonly (readonly [string, Buffer])[] = [],
  ): Promise<{ ok: true; response: CheckedResponse } | { ok: false; observed: string }> {
    const pairs: [string, Buffer][] = [
      ['type', mp.str('join')],
      ['rid', mp.int(rid)],
      ['id', mp.str(id)],
      ['address', Buffer.isBuffer(address) ? address : mp.str(address)],
      ['role', mp.str(this.options.joinRole)],
    ];
    for (const [name, value] of extra) {
      const at = pairs.findIndex(([k]) => k === name);
      if (at >= 0) pairs[at] = [name, value];
      else pairs.push([name, value]);
    }
    peer.send(mp.frame(mp.fields(pairs)));
    const got = await this.response(peer);
    if (got.ok && got.response.ok === true && got.response.rid === rid) this.changes.joined.set(id, typeof address === 'string' ? address : '(raw)');
    return got;
  }

  /** Skips a case that needs the target to lead (it redirected the kit). */
  needsLeader(): Verdict | undefined {
    return this.facts.leads ? undefined : skip(`the target is not the leader (it answered ${this.facts.answer}): run with --target set to the leader`);
  }

  /** Skips a case that changes membership in a run that must not. */
  needsChanges(): Verdict | undefined {
    return this.options.changes ? this.needsLeader() : skip('makes a membership change: run without --no-changes');
  }

}

/** The membership changes a run made, to undo at the end. */
export class ChangeLog {
  /** Ids joined, by id: the address they were joined at. */
  readonly joined = new Map<string, string>();
  /** Set once the run has made the target begin to close (the closing cases). */
  closing: Promise<void> | undefined;
  #port = 47_000;

  constructor(
    /** This run's token, in every id it makes. */
    readonly token: string,
    readonly joinHost: string,
  ) {}

  /** An address nobody listens on, different for each call. */
  address(): string {
    this.#port += 1;
    return `${this.joinHost.includes(':') ? `[${this.joinHost}]` : this.joinHost}:${this.#port}`;
  }
}

/** A reply as text: `WrongCluster ("wrong cluster")`. */
export function describeReply(reply: Reply): string {
  const name = replyStatusName(reply.status);
  if (reply.detail.length === 0) return name;
  if (reply.status === ReplyStatus.Accepted || reply.status === ReplyStatus.Challenge || reply.status === ReplyStatus.UnsupportedVersion) {
    return `${name} (${reply.detail.length} bytes of detail: ${hex(reply.detail, 8)})`;
  }
  return `${name} (${JSON.stringify(reply.detail.toString('utf8'))})`;
}

/** True when `bytes` are valid UTF-8. */
export function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

