import type { TlsOptions } from 'node:tls';
import { DAY_MS, checkOptionKeys, clusterNameOption, integerOption, optionsObject, secretOption, tlsOption } from '../membership/option-checks.js';
import { loggerOption, type LogWriter, type Logger } from '../membership/logger.js';
import { DEFAULT_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE } from '../protocol/frame-decoder.js';

/** Options of {@link MembershipServer}. */
export interface MembershipServerOptions {
  /** The cluster's name; dialers must send the same. @default '' */
  readonly clusterName?: string;
  /** A shared secret every dialer must prove it knows (HMAC, never sent). */
  readonly secret?: string | Uint8Array;
  /** Serve TLS with these `node:tls` options (add `requestCert` for mutual TLS). */
  readonly tls?: TlsOptions;
  /** The largest frame payload accepted, in bytes. @default 65536 */
  readonly maxFrameSize?: number;
  /** Connections served at once; more are refused with `busy`. @default 1024 */
  readonly maxConnections?: number;
  /** Requests in flight per connection before the server stops reading it. @default 64 */
  readonly maxInFlight?: number;
  /** How long a new connection has to complete its preamble. @default 5000 */
  readonly preambleTimeoutMs?: number;
  /** A membership connection with nothing in flight is closed after this long idle. @default 60000 */
  readonly idleTimeoutMs?: number;
  /** A request not done within this long is answered `timeout`. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Accepted raft streams waiting for `accept()`; more are refused with `busy`. @default 64 */
  readonly maxPendingStreams?: number;
  /**
   * How long `close()` lets the changes raft is making finish, so that
   * their clients learn the outcome; still unfinished then, they are
   * answered `timeout` (outcome unknown). @default 5000
   */
  readonly closeGraceMs?: number;
  /** Where connection events are reported, pino's shape (`logger.warn(fields, message)`); `NODE_DEBUG=raft-membership` prints them too. @default silent */
  readonly logger?: Logger;
}

/** The options with every default filled in and every value checked. */
export interface ResolvedServerOptions {
  /** {@link MembershipServerOptions.clusterName}, with its default applied. */
  readonly clusterName: string;
  /** {@link MembershipServerOptions.secret}, with its default applied. */
  readonly secret: Uint8Array | undefined;
  /** {@link MembershipServerOptions.tls}, with its default applied. */
  readonly tls: TlsOptions | undefined;
  /** {@link MembershipServerOptions.maxFrameSize}, with its default applied. */
  readonly maxFrameSize: number;
  /** {@link MembershipServerOptions.maxConnections}, with its default applied. */
  readonly maxConnections: number;
  /** {@link MembershipServerOptions.maxInFlight}, with its default applied. */
  readonly maxInFlight: number;
  /** {@link MembershipServerOptions.preambleTimeoutMs}, with its default applied. */
  readonly preambleTimeoutMs: number;
  /** {@link MembershipServerOptions.idleTimeoutMs}, with its default applied. */
  readonly idleTimeoutMs: number;
  /** {@link MembershipServerOptions.requestTimeoutMs}, with its default applied. */
  readonly requestTimeoutMs: number;
  /** {@link MembershipServerOptions.maxPendingStreams}, with its default applied. */
  readonly maxPendingStreams: number;
  /** {@link MembershipServerOptions.closeGraceMs}, with its default applied. */
  readonly closeGraceMs: number;
  /** {@link MembershipServerOptions.logger}, as the library writes to it (and to `NODE_DEBUG`). */
  readonly logger: LogWriter;
}

/** @internal */
export function resolveServerOptions(given: MembershipServerOptions): ResolvedServerOptions {
  const options: MembershipServerOptions = optionsObject('MembershipServer options', given);
  checkOptionKeys('MembershipServer options', options, resolveServerOptions);
  return {
    clusterName: clusterNameOption(options.clusterName),
    secret: secretOption(options.secret),
    tls: tlsOption(options.tls),
    maxFrameSize: integerOption('maxFrameSize', options.maxFrameSize, DEFAULT_MAX_FRAME_SIZE, 64, MAX_MAX_FRAME_SIZE),
    maxConnections: integerOption('maxConnections', options.maxConnections, 1024, 1, 1_000_000),
    maxInFlight: integerOption('maxInFlight', options.maxInFlight, 64, 1, 65_536),
    preambleTimeoutMs: integerOption('preambleTimeoutMs', options.preambleTimeoutMs, 5_000, 1, DAY_MS),
    idleTimeoutMs: integerOption('idleTimeoutMs', options.idleTimeoutMs, 60_000, 1, DAY_MS),
    requestTimeoutMs: integerOption('requestTimeoutMs', options.requestTimeoutMs, 10_000, 1, DAY_MS),
    maxPendingStreams: integerOption('maxPendingStreams', options.maxPendingStreams, 64, 1, 65_536),
    closeGraceMs: integerOption('closeGraceMs', options.closeGraceMs, 5_000, 0, DAY_MS),
    logger: loggerOption(options.logger),
  };
}
