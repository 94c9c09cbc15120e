import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { parseAddress } from '../membership/address.js';
import type { ServerAddress } from '../membership/types.js';
import { clientDialing, clientOpened, clientRefusedConnection } from '../diagnostics.js';
import { ClientHandshake } from '../protocol/client-handshake.js';
import { ConnectionClosedError } from '../protocol/errors.js';
import type { Channel } from '../protocol/preamble.js';
import type { ResolvedClientOptions } from './client-options.js';

/**
 * Connects to `target` (TLS when configured) and completes the preamble for
 * `channel`. Resolves to the socket, paused, with any bytes past the
 * preamble put back; rejects with the handshake's error, a connection
 * error, or `signal.reason`, and then leaves nothing open.
 */
export function openSocket(target: ServerAddress, channel: Channel, options: ResolvedClientOptions, signal: AbortSignal): Promise<Socket> {
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
  return new Promise<Socket>((resolve, reject) => {
    const socket: Socket = options.tls
      ? // SNI takes host names only (RFC 6066): Node warns when given an IP address.
        tlsConnect({ ...(isIP(host) === 0 ? { servername: host } : {}), ...options.tls, host, port })
      : netConnect({ host, port, noDelay: true });
    const cleanup = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('readable', onReadable);
    };
    const fail = (err: unknown): void => {
      cleanup();
      socket.destroy();
      clientRefusedConnection(target, channel, err, dialedAt);
      reject(err);
    };
    const onAbort = (): void => fail(signal.reason);
    const onError = (err: Error): void => fail(err);
    const onClose = (): void => fail(new ConnectionClosedError(`${target} closed the connection during the preamble`));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
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
    socket.on('error', onError);
    socket.on('close', onClose);
    socket.on('readable', onReadable);
    socket.setNoDelay(true);
    socket.write(handshake.hello);
  });
}
