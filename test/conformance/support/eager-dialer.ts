import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { type DialerFunction } from '../../../src/index.js';
import { Channel, ClientHandshake, FrameDecoder, decodeResponse, encodeRequest } from '../../../src/protocol/index.js';
import { libraryDialer } from './library-dialer.js';

/**
 * A seeded fault: a dialer that, asked for a secret, sends its request
 * right behind its auth answer instead of waiting for the second reply
 * (§1). Without a secret it is the library's dialer. Plain TCP only.
 */
export const eagerDialer: DialerFunction = (invocation, signal) => {
  if (invocation.secretFile === undefined || invocation.tlsCaFile !== undefined || invocation.operation === 'members') return libraryDialer(invocation, signal);
  const handshake = new ClientHandshake({ channel: Channel.Membership, clusterName: invocation.clusterName, secret: readFileSync(invocation.secretFile) });
  const request =
    invocation.operation === 'join'
      ? encodeRequest({ type: 'join', rid: 1, id: invocation.id, address: invocation.address, role: invocation.role })
      : encodeRequest({ type: 'leave', rid: 1, id: invocation.id });
  const at = invocation.target.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({ host: invocation.target.slice(0, at), port: Number(invocation.target.slice(at + 1)) });
    const frames = new FrameDecoder({ maxFrameSize: 65_536 });
    let accepted = false;
    const end = (exitCode: number, result: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ exitCode, stdout: JSON.stringify(result) });
    };
    const timer = setTimeout(() => end(1, { error: 'deadline' }), invocation.timeoutMs);
    signal.addEventListener('abort', () => end(1, { error: 'aborted' }), { once: true });
    socket.on('error', (err) => end(1, { error: err.message }));
    socket.on('close', () => end(1, { error: 'closed' }));
    socket.once('connect', () => socket.write(handshake.hello));
    socket.on('data', (chunk: Buffer) => {
      try {
        let rest = chunk;
        if (!accepted) {
          const step = handshake.push(chunk);
          // The fault: the request goes out with the auth answer.
          if (step.kind === 'need-more') return void (step.send && socket.write(Buffer.concat([step.send, request])));
          accepted = true;
          rest = step.rest;
        }
        frames.push(rest, (payload) => {
          const response = decodeResponse(payload);
          end(response.ok ? 0 : 1, response.ok ? { index: response.index ?? null } : { error: response.code });
        });
      } catch (err) {
        end(1, { error: String(err) });
      }
    });
  });
};
