import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { formatAddress } from '../../membership/address.js';
import type { ServerAddress } from '../../membership/types.js';
import { computeProof, newNonce, proofMatches } from '../../protocol/auth.js';
import { encodeReply, type ReplyStatus } from '../../protocol/preamble.js';
import { ByteQueue } from '../byte-queue.js';
import * as mp from '../msgpack-writer.js';
import { checkRequest, type CheckedRequest } from '../response-check.js';

/** What one connection of the dialer under test did, as the scripted server saw it. */
export interface ConnectionLog {
  /** The hello, as sent (undefined when none came whole). */
  hello: Buffer | undefined;
  /** Bytes the dialer sent after its hello before the reply it had to wait for. */
  early: Buffer;
  /** The nonce of the Challenge sent, when one was. */
  serverNonce: Buffer | undefined;
  /** The auth answer, when one was asked for and came. */
  authAnswer: Buffer | undefined;
  /** Every request read, in order. */
  readonly requests: CheckedRequest[];
  /** The dialer closed (or reset) the connection. */
  closedByDialer: boolean;
  /** When the connection was accepted (ms since the listener started). */
  readonly at: number;
}

/** What a connection's script does with it; it ends when the script's promise settles. */
export type Script = (connection: ScriptConnection) => Promise<void>;

/** A listener that plays a script to each connection the dialer opens, and logs what the dialer did. */
export class ScriptListener {
  readonly connections: ConnectionLog[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #began = Date.now();
  #address: ServerAddress | undefined;

  constructor(
    readonly script: Script,
    readonly settings: { readonly waitMs: number; readonly secret: Uint8Array | undefined; readonly tls?: TlsOptions | undefined },
  ) {
    const onSocket = (socket: Socket): void => this.#accept(socket);
    this.#server = settings.tls ? createTlsServer(settings.tls, onSocket) : createTcpServer({ noDelay: true }, onSocket);
  }

  /** Listens on `host`, a free port; resolves to the address. */
  listen(host: string): Promise<ServerAddress> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, host, () => {
        const bound = this.#server.address();
        if (bound === null || typeof bound === 'string') return reject(new Error('not bound to a TCP port'));
        this.#address = formatAddress(bound.address, bound.port);
        resolve(this.#address);
      });
    });
  }

  /** The address, once listening. */
  get address(): ServerAddress {
    if (this.#address === undefined) throw new Error('not listening');
    return this.#address;
  }

  /** Every request read on every connection, in order. */
  get requests(): CheckedRequest[] {
    return this.connections.flatMap((c) => c.requests);
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    const log: ConnectionLog = { hello: undefined, early: Buffer.alloc(0), serverNonce: undefined, authAnswer: undefined, requests: [], closedByDialer: false, at: Date.now() - this.#began };
    this.connections.push(log);
    const connection = new ScriptConnection(socket, log, this.connections.length - 1, this.settings);
    void this.script(connection)
      .catch(() => undefined)
      .finally(() => connection.close());
  }
}

/** One connection of the dialer, driven by a script. */
export class ScriptConnection {
  readonly #queue = new ByteQueue();
  /** This side closed: later ends are not the dialer's doing. */
  #closing = false;

  constructor(
    readonly socket: Socket,
    readonly log: ConnectionLog,
    /** 0 for the dialer's first connection to this listener, 1 for the next… */
    readonly index: number,
    readonly settings: { readonly waitMs: number; readonly secret: Uint8Array | undefined },
  ) {
    socket.on('data', (chunk: Buffer) => this.#queue.push(chunk));
    const ended = (): void => {
      if (!this.#closing && this.#queue.end === undefined) log.closedByDialer = true;
      this.#queue.ended('closed');
    };
    socket.on('end', ended);
    socket.on('error', ended);
    socket.on('close', ended);
  }

  /** Reads the hello (8 + n bytes); undefined if it does not come whole. */
  async readHello(): Promise<Buffer | undefined> {
    const head = await this.read(8);
    if (!head) return undefined;
    const name = await this.read(head[7]!);
    if (!name) return undefined;
    this.log.hello = Buffer.concat([head, name]);
    return this.log.hello;
  }

  /** Sends a reply; after `delayMs`, logging what the dialer sent meanwhile (it must send nothing). */
  async reply(status: ReplyStatus | number, detail: Buffer | string = Buffer.alloc(0), delayMs = 0): Promise<void> {
    if (delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      this.log.early = this.#queue.take(this.#queue.length);
    }
    this.send(encodeReply(status as ReplyStatus, detail));
  }

  /**
   * The whole preamble as a right server plays it: reads the hello, and
   * with a secret sends a Challenge, checks the auth answer and sends
   * Accepted with proof_s. False when the dialer did not get through.
   */
  async accept(): Promise<boolean> {
    const hello = await this.readHello();
    if (!hello) return false;
    const secret = this.settings.secret;
    if (!secret) {
      await this.reply(0x00);
      return true;
    }
    const proof = await this.challenge();
    if (!proof) {
      await this.reply(0x14, 'authentication failed');
      return false;
    }
    await this.reply(0x00, proof);
    return true;
  }

  /**
   * Sends a Challenge and reads the auth answer: resolves to the proof_s
   * to send back when the answer is right, undefined when it is not (or
   * did not come).
   */
  async challenge(nonce: Buffer = newNonce()): Promise<Buffer | undefined> {
    const secret = this.settings.secret!;
    this.log.serverNonce = nonce;
    await this.reply(0x01, nonce);
    const answer = await this.read(64);
    if (!answer) return undefined;
    this.log.authAnswer = answer;
    const client = answer.subarray(0, 32);
    const hello = this.log.hello ?? Buffer.alloc(0);
    if (!proofMatches(computeProof('client', secret, hello, nonce, client), answer.subarray(32))) return undefined;
    return computeProof('server', secret, hello, nonce, client);
  }

  /** Reads one request frame (any size up to 16 MiB); undefined when none comes. */
  async readRequest(): Promise<CheckedRequest | undefined> {
    const head = await this.read(4);
    if (!head) return undefined;
    const length = head.readUInt32BE(0);
    if (length === 0 || length > 16 * 1024 * 1024) return undefined;
    const payload = await this.read(length);
    if (!payload) return undefined;
    const checked = checkRequest(payload);
    this.log.requests.push(checked);
    return checked;
  }

  /** Sends a response: `fields` after `rid`, in the smallest forms (see {@link respondRaw} for others). */
  respond(rid: number, fields: Record<string, unknown>): void {
    this.respondRaw(mp.value({ rid, ...fields }));
  }

  /** Sends `payload` as a frame. */
  respondRaw(payload: Buffer): void {
    this.send(mp.frame(payload));
  }

  /** Sends bytes as they are. */
  send(bytes: Buffer): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  /** Waits until the dialer closes (true) or `ms` pass (false), discarding what it sends. */
  async closedWithin(ms: number): Promise<boolean> {
    await this.#queue.until(() => false, ms);
    this.#queue.take(this.#queue.length);
    return this.#queue.end !== undefined;
  }

  /** Keeps the connection open until the dialer closes it, at most `ms`. */
  async hold(ms: number): Promise<void> {
    await this.closedWithin(ms);
  }

  /** Ends the connection (FIN, then a close). */
  close(): void {
    this.#closing = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 200).unref();
  }

  /** Exactly `n` bytes within the wait, or undefined. */
  async read(n: number, ms = this.settings.waitMs): Promise<Buffer | undefined> {
    const queue = this.#queue;
    await queue.until(() => queue.length >= n, ms);
    return queue.length >= n ? queue.take(n) : undefined;
  }
}
