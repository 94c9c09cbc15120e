import type { ServerAddress } from '../membership/types.js';
import { Channel, PROTOCOL_VERSION } from '../protocol/preamble.js';
import { ClientConnection } from './client-connection.js';
import type { ResolvedClientOptions } from './client-options.js';
import { openSocket } from './open-socket.js';
import type { CallProgress, CallSignal } from './call-deadline.js';

/** What {@link ping} learned of a server. */
export interface PingResult {
  readonly target: ServerAddress;
  /** The protocol version the server accepted. */
  readonly version: number;
  /** The channel it accepted. */
  readonly channel: 'membership';
  /** Dial, TLS and preamble, in milliseconds. */
  readonly handshakeMs: number;
  /** One framed request and its answer on the open connection, in milliseconds. */
  readonly roundTripMs: number;
  /** What the server answered to a `members` request: `ok`, or the wire error code. */
  readonly answer: string;
}

/**
 * Checks that `target` speaks this protocol: completes the preamble on the
 * membership channel, then times one `members` request, whose answer (the
 * configuration, `different_leader`, `unsupported`, …) only has to be a
 * valid response. Nothing is retried or followed: it is about this server.
 * Rejects with the call's reason when it gives up; the call's progress
 * (stage, target) says where it was, for its timeout message.
 */
export async function ping(target: ServerAddress, options: ResolvedClientOptions, call: CallSignal & CallProgress): Promise<PingResult> {
  const started = performance.now();
  call.target = target;
  call.stage = 'dialing';
  call.dial = { connected: false };
  const socket = await openSocket(target, Channel.Membership, options, call.abortSignal, { progress: call.dial });
  call.stage = 'waiting';
  const handshakeMs = performance.now() - started;
  const connection = new ClientConnection(target, socket, options, () => undefined);
  try {
    const sent = performance.now();
    const response = await connection.request({ type: 'members' }, call);
    const roundTripMs = performance.now() - sent;
    return { target, version: PROTOCOL_VERSION, channel: 'membership', handshakeMs, roundTripMs, answer: response.ok ? 'ok' : response.code };
  } finally {
    connection.close();
  }
}
