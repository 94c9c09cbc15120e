import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { parseAddress } from '../membership/address.js';
import type { ServerAddress } from '../membership/types.js';
import { parseReply, type Reply } from '../protocol/preamble.js';
import { ByteQueue } from './byte-queue.js';

/** How a wait for bytes ended without them: the peer closed (FIN), reset (RST), or time ran out. */
export type End = 'closed' | 'reset' | 'timeout';

/** Bytes that came, or how the wait ended and what came before. */
export type Read<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly end: End; readonly partial: Buffer };

/** How {@link WirePeer.open} dials. */
export interface DialSettings {
  /** Dial with TLS using these options. */
  readonly tls?: ConnectionOptions | undefined;
  /** Bound on connecting (and the TLS handshake). */
  readonly timeoutMs: number;
}

/** Says how a read ended, for what the kit reports. */
export function describeEnd(read: { end: End; partial: Buffer }): string {
  const what = read.end === 'closed' ? 'the connection was closed' : read.end === 'reset' ? 'the connection was reset' : 'nothing more came in time';
  return read.partial.length > 0 ? `${what} after ${read.partial.length} bytes (${hex(read.partial, 16)})` : what;
}

/** The first `max` bytes of `bytes` in hex, for reports. */
export function hex(bytes: Buffer, max = 32): string {
  const shown = bytes.subarray(0, max).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  return bytes.length > max ? `${shown} …` : shown;
}

/**
 * One connection the kit dials, driven by hand: exact bytes out, exact
 * bytes in, and every wait bounded. It tells a close (FIN) from a reset
 * (RST), which §3's half-close rule needs.
 */
export class WirePeer {
  readonly #socket: Socket;
  readonly #queue = new ByteQueue();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#queue.push(chunk));
    socket.on('end', () => this.#queue.ended('closed'));
    socket.on('error', () => this.#queue.ended('reset'));
    socket.on('close', () => this.#queue.ended('closed'));
  }

  /** Dials `address` (plain TCP, or TLS with `settings.tls`). */
  static open(address: ServerAddress, settings: DialSettings): Promise<WirePeer> {
    const { host, port } = parseAddress(address);
    return new Promise((resolve, reject) => {
      const socket = settings.tls
        ? connectTls({ ...settings.tls, host, port, ...(settings.tls.servername === undefined && !/^[\d.]+$|:/.test(host) ? { servername: host } : {}) })
        : connectTcp({ host, port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to ${address} within ${settings.timeoutMs} ms`));
      }, settings.timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new Error(`could not connect to ${address}: ${err.message}`, { cause: err }));
      };
      socket.once('error', onError);
      socket.once(settings.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new WirePeer(socket));
      });
    });
  }

  /** Bytes received and not read yet. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Sends `bytes`; a failure shows as the connection's end. */
  send(bytes: Buffer | Uint8Array): void {
    if (!this.#socket.destroyed && this.#socket.writable) this.#socket.write(bytes);
  }

  /** Sends `bytes` one at a time, `gapMs` apart. */
  async trickle(bytes: Buffer, gapMs: number): Promise<void> {
    for (const byte of bytes) {
      this.send(Buffer.from([byte]));
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  }

  /** Exactly `n` bytes, or how the wait ended. */
  async read(n: number, timeoutMs: number): Promise<Read<{ bytes: Buffer }>> {
    const queue = this.#queue;
    await queue.until(() => queue.length >= n, timeoutMs);
    if (queue.length < n) return { ok: false, end: queue.end ?? 'timeout', partial: queue.take(queue.length) };
    return { ok: true, bytes: queue.take(n) };
  }

  /** A reply of §3 (status, detail). */
  async readReply(timeoutMs: number): Promise<Read<{ reply: Reply }>> {
    const deadline = Date.now() + timeoutMs;
    const queue = this.#queue;
    await queue.until(() => queue.length >= 2, timeoutMs);
    const head = queue.peek(2);
    if (head.length < 2) return { ok: false, end: queue.end ?? 'timeout', partial: queue.take(queue.length) };
    const whole = await this.read(2 + head[1]!, Math.max(0, deadline - Date.now()));
    if (!whole.ok) return whole;
    return { ok: true, reply: parseReply(whole.bytes)!.reply };
  }

  /**
   * A frame of §6: its declared length and payload. A declared length over
   * `maxFrame` comes back without waiting for the payload.
   */
  async readFrame(timeoutMs: number, maxFrame = 16 * 1024 * 1024): Promise<Read<{ length: number; payload: Buffer | undefined }>> {
    const deadline = Date.now() + timeoutMs;
    const head = await this.read(4, timeoutMs);
    if (!head.ok) return head;
    const length = head.bytes.readUInt32BE(0);
    if (length > maxFrame || length === 0) return { ok: true, length, payload: undefined };
    const body = await this.read(length, Math.max(0, deadline - Date.now()));
    if (!body.ok) return { ok: false, end: body.end, partial: Buffer.concat([head.bytes, body.partial]) };
    return { ok: true, length, payload: body.bytes };
  }

  /** Waits until the peer ends the connection (at most `timeoutMs`); what arrived meanwhile is returned. */
  async waitEnd(timeoutMs: number): Promise<{ end: End; received: Buffer }> {
    await this.#queue.until(() => false, timeoutMs);
    return { end: this.#queue.end ?? 'timeout', received: this.#queue.take(this.#queue.length) };
  }

  /** Waits `ms`, then returns what arrived meanwhile (the connection may have ended). */
  async quiet(ms: number): Promise<Buffer> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#queue.take(this.#queue.length);
  }

  /** How the connection ended, if it has. */
  get ended(): 'closed' | 'reset' | undefined {
    return this.#queue.end;
  }

  /** Closes at once. */
  destroy(): void {
    this.#socket.destroy();
  }
}
