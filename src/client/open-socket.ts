import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseAddress } from '../membership/address.js';
import type { ServerAddress } from '../membership/types.js';
import { clientDialing, clientOpened, clientRefusedConnection } from '../diagnostics.js';
import { ClientHandshake } from '../protocol/client-handshake.js';
import { ConnectionClosedError } from '../protocol/errors.js';
import type { Channel } from '../protocol/preamble.js';
import type { DialProgress } from './call-deadline.js';
import type { ResolvedClientOptions } from './client-options.js';
import { TLS_HEADER_BYTES, looksLikeTls, plainServerError, speaksTls, type PlainTargets } from './tls-mismatch.js';
import { TlsMismatchError } from '../protocol/errors.js';

/** What a dial reports as it goes, for a caller that wants to know. */
export interface DialHooks {
  /** Marked connected once the TCP connection is up (the preamble then follows). */
  readonly progress?: DialProgress;
  /** Told the socket as soon as it exists, so that `close()` can wait for it. */
  readonly onSocket?: (socket: Socket) => void;
  /** The client's memory of targets that speak no TLS: a silent close from one of them is not probed again. */
  readonly plainTargets?: PlainTargets;
}

/**
 * Connects to `target` (TLS when configured) and completes the preamble for
 * `channel`. Resolves to the socket, paused, with any bytes past the
 * preamble put back; rejects with the handshake's error, a connection
 * error, {@link TlsMismatchError} when one side speaks TLS and the other
 * does not, or `signal.reason`, and then leaves nothing open.
 */
export function openSocket(target: ServerAddress, channel: Channel, options: ResolvedClientOptions, signal: AbortSignal, hooks?: DialHooks): Promise<Socket> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseAddress(target));
  } catch (err) {
    return Promise.reject(err);
  }
  const handshake = new ClientHandshake({
    channel,
    clusterName: options.clusterName,
    ...(options.secret ? { secret: options.secret } : {}),
  });
  const dialedAt = clientDialing();
  // SNI takes host names only (RFC 6066): Node warns when given an IP address.
  const sni = isIP(host) === 0 ? { servername: host } : {};
  return new Promise<Socket>((resolve, reject) => {
    const socket: Socket = options.tls ? tlsConnect({ ...sni, ...options.tls, host, port }) : netConnect({ host, port, noDelay: true });
    hooks?.onSocket?.(socket);
    /** The first bytes back, kept until they show whether they are TLS; then `undefined`. */
    let head: Buffer | undefined = options.tls ? undefined : Buffer.alloc(0);
    let received = 0;
    let connected = false;
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('readable', onReadable);
      socket.off('connect', onConnect);
    };
    const fail = (err: unknown): void => {
      cleanup();
      socket.destroy();
      clientRefusedConnection(target, channel, err, dialedAt);
      reject(err);
    };
    const onAbort = (): void => fail(signal.reason);
    const onConnect = (): void => {
      connected = true;
      if (hooks?.progress) hooks.progress.connected = true;
      // Written once connected, not queued before: a write still queued when
      // the dial is refused fails too, and node reads that error's stack
      // (source-mapped under tsx: ~0.2 ms per refused dial, which a raft
      // redialing dead members pays on every try).
      socket.write(handshake.hello);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      if (options.tls) fail(plainServerError(target, err) ?? err);
      else if (connected && received === 0 && err.code === 'ECONNRESET') closedSilently(err);
      else fail(err);
    };
    const onClose = (): void => {
      if (options.tls || received > 0) fail(new ConnectionClosedError(`${target} closed the connection during the preamble`));
      else closedSilently(undefined);
    };
    /**
     * A plain hello met a close and not one byte back: what a TLS server
     * does. Ask whether it speaks TLS before calling it a lost connection.
     */
    const closedSilently = (err: Error | undefined): void => {
      cleanup();
      socket.destroy();
      const closed = new ConnectionClosedError(`${target} closed the connection during the preamble, without a word`, err ? { cause: err } : undefined);
      const plain = hooks?.plainTargets;
      if (plain?.has(target)) return fail(closed);
      speaksTls(host, port, sni, signal).then((tls) => {
        if (!tls && !signal.aborted) plain?.add(target);
        fail(signal.aborted ? signal.reason : tls ? new TlsMismatchError(target, true, { cause: closed }) : closed);
      });
    };
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        received += chunk.length;
        if (head) {
          head = Buffer.concat([head, chunk.subarray(0, TLS_HEADER_BYTES)]).subarray(0, TLS_HEADER_BYTES);
          if (looksLikeTls(head)) {
            fail(new TlsMismatchError(target, true));
            return;
          }
          if (head.length >= 3 || (head[0] !== 0x15 && head[0] !== 0x16)) head = undefined;
        }
        let step;
        try {
          step = handshake.push(chunk);
        } catch (err) {
          fail(err);
          return;
        }
        if (step.kind === 'need-more') {
          if (step.send) socket.write(step.send);
          continue;
        }
        cleanup();
        if (step.rest.length > 0) socket.unshift(step.rest);
        clientOpened(socket, target, channel, dialedAt);
        resolve(socket);
        return;
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', onConnect);
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('readable', onReadable);
    socket.setNoDelay(true);
  });
}
