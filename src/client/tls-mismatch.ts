import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { TlsMismatchError } from '../protocol/errors.js';

/**
 * What OpenSSL says when the bytes that came back to a TLS ClientHello are
 * not a TLS record: a plain server's preamble reply (`0x10 …`, BadPreamble)
 * reads as a record of an unknown version. Node reports it with its
 * `ERR_SSL_…` code, or as `EPROTO` (with OpenSSL's words) when it surfaces
 * through a write, as the hello's does.
 */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL']);
const NOT_TLS_WORDS = /wrong version number|packet length too long|unknown protocol/;

/** How long the check of whether a server speaks TLS may take. */
const PROBE_MS = 1_000;

/**
 * A TLS dialer's handshake failed because the server does not speak TLS:
 * the error to reject with instead, or `undefined` if it failed otherwise.
 */
export function plainServerError(target: string, err: unknown): TlsMismatchError | undefined {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  const notTls = typeof code === 'string' && (NOT_TLS_CODES.has(code) || (code === 'EPROTO' && typeof message === 'string' && NOT_TLS_WORDS.test(message)));
  return notTls ? new TlsMismatchError(target, false, { cause: err }) : undefined;
}

/** Bytes of a TLS record's header: type, version (2), length (2). */
export const TLS_HEADER_BYTES = 5;

/**
 * Whether `bytes`, the first (up to {@link TLS_HEADER_BYTES}) a plain
 * dialer received in place of a preamble reply, are a TLS record: content
 * type alert (0x15) or handshake (0x16), then version 3.0–3.4, and, when
 * the length came too, one that fits the type (an alert is 2 bytes, a
 * handshake message at least 4). A preamble reply with those status bytes
 * (busy, shutting down) is followed by its length and a UTF-8 reason: only
 * a 3-byte reason starting with a control byte (0x00–0x04) matches the
 * first three bytes, and it would also have to read as a fitting length.
 */
export function looksLikeTls(bytes: Uint8Array): boolean {
  if (bytes.length < 3 || (bytes[0] !== 0x15 && bytes[0] !== 0x16) || bytes[1] !== 0x03 || bytes[2]! > 0x04) return false;
  if (bytes.length < TLS_HEADER_BYTES) return true;
  const length = (bytes[3]! << 8) | bytes[4]!;
  return bytes[0] === 0x15 ? length === 2 : length >= 4;
}

/** How long a probe's "no TLS here" is remembered for its target. */
const PLAIN_MEMORY_MS = 30_000;
/** Targets remembered at most; past that the memory starts afresh. */
const PLAIN_MEMORY_TARGETS = 256;

/**
 * Targets that a {@link speaksTls} probe found speaking no TLS, remembered
 * for a while (one memory per client). A server that closes every
 * connection at once (overloaded past its refusals, or shutting down) is
 * then probed once, not once per retry: each probe is one more connection
 * to a server that is already refusing them.
 */
export class PlainTargets {
  readonly #until = new Map<string, number>();

  /** True while `target` is remembered as speaking no TLS. */
  has(target: string): boolean {
    const until = this.#until.get(target);
    if (until === undefined) return false;
    if (until > performance.now()) return true;
    this.#until.delete(target);
    return false;
  }

  /** Remembers that `target` speaks no TLS. */
  add(target: string): void {
    if (this.#until.size >= PLAIN_MEMORY_TARGETS) this.#until.clear();
    this.#until.set(target, performance.now() + PLAIN_MEMORY_MS);
  }
}

/**
 * Whether the server at `host:port` speaks TLS: asked after a plain
 * dialer's preamble met a close with not one byte back, which is what a
 * Node TLS server does with a plain hello (it sends no alert). A finished
 * handshake, or a TLS alert (a server that wants a client certificate),
 * says yes; anything else, or no answer within a second, says no. The
 * certificate is not checked: only the protocol matters here.
 */
export function speaksTls(host: string, port: number, tls: Pick<ConnectionOptions, 'servername'>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const socket: Socket = tlsConnect({ ...tls, host, port, rejectUnauthorized: false });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(answer);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(done, PROBE_MS, false);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => done(true));
    socket.once('error', (err: NodeJS.ErrnoException) => done(typeof err.code === 'string' && err.code.startsWith('ERR_SSL_') && err.code.includes('ALERT')));
    socket.once('close', () => done(false));
  });
}
