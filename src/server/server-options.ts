import { createSecureContext, type TlsOptions } from 'node:tls';
import { DAY_MS, checkOptionKeys, invalidOption, clusterNameOption, integerOption, optionsObject, secretOption, tlsOption } from '../membership/option-checks.js';
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
  /**
   * Inbound connections open at once, whatever their stage: in their
   * preamble, membership connections, and raft streams until they close
   * (handed to raft or not); more are refused with `busy`. @default 1024
   */
  readonly maxConnections?: number;
  /**
   * Inbound connections open at once from one peer (one IP address; an IPv6
   * peer by its /64), counted like `maxConnections`; more from it are
   * refused with `busy`. @default 64
   */
  readonly maxConnectionsPerPeer?: number;
  /**
   * Of `maxConnections`, how many only raft streams may use: membership
   * connections are refused with `busy` once `maxConnections -
   * raftReservedConnections` are open, so that a flood of them cannot keep
   * the cluster's own raft traffic out. From 0 to `maxConnections - 1`.
   * @default the smaller of 64 and `maxConnections / 8`, rounded down
   */
  readonly raftReservedConnections?: number;
  /**
   * Refused connections kept open at once for their peer to read the
   * refusal (for up to 1 s each); past it, a refused connection is closed at
   * once, its reply perhaps lost, so that a flood of refused reconnects
   * cannot pile up file descriptors. @default 64
   */
  readonly maxLingeringRefusals?: number;
  /** Requests in flight per connection before the server stops reading it. @default 64 */
  readonly maxInFlight?: number;
  /**
   * Requests (`join`, `leave`, `members`) one peer (by address, as for
   * `maxConnectionsPerPeer`) may make per second over all its connections,
   * once its `requestBurstPerPeer` is spent. Past it nothing is refused: the
   * server stops reading that peer's connections until its next request is
   * due, so that a flooding peer costs neither CPU nor memory, and the raft
   * beside the server keeps its leader. `Infinity` for no limit (a
   * benchmark). @default 100
   */
  readonly requestRatePerPeer?: number;
  /** Requests one peer may make at once before `requestRatePerPeer` applies. @default 50 */
  readonly requestBurstPerPeer?: number;
  /**
   * How long a new connection has, from its TCP accept, to complete its
   * preamble (and its TLS handshake first, with `tls`). @default 5000
   */
  readonly preambleTimeoutMs?: number;
  /**
   * A membership connection with nothing in flight is closed after this
   * long without progress: no whole request received and no answer written
   * (bytes of an unfinished frame do not count). @default 60000
   */
  readonly idleTimeoutMs?: number;
  /**
   * A frame whose first byte has arrived must be whole within this long,
   * while the server reads the connection; otherwise the connection is
   * closed. @default 10000
   */
  readonly frameTimeoutMs?: number;
  /**
   * Once a membership connection's answers back up (the peer does not read
   * them), the server stops reading its requests; if the peer does not take
   * the answers within this long, the connection is closed. @default 10000
   */
  readonly writeTimeoutMs?: number;
  /**
   * Bytes of answers a membership connection may have waiting in the
   * server, past what the kernel took; more, and the connection is closed at
   * once as a slow consumer. @default 262144
   */
  readonly maxPendingOutput?: number;
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
  /** {@link MembershipServerOptions.maxConnectionsPerPeer}, with its default applied. */
  readonly maxConnectionsPerPeer: number;
  /** {@link MembershipServerOptions.raftReservedConnections}, with its default applied. */
  readonly raftReservedConnections: number;
  /** {@link MembershipServerOptions.maxLingeringRefusals}, with its default applied. */
  readonly maxLingeringRefusals: number;
  /** {@link MembershipServerOptions.maxInFlight}, with its default applied. */
  readonly maxInFlight: number;
  /** {@link MembershipServerOptions.requestRatePerPeer}, with its default applied. */
  readonly requestRatePerPeer: number;
  /** {@link MembershipServerOptions.requestBurstPerPeer}, with its default applied. */
  readonly requestBurstPerPeer: number;
  /** {@link MembershipServerOptions.preambleTimeoutMs}, with its default applied. */
  readonly preambleTimeoutMs: number;
  /** {@link MembershipServerOptions.idleTimeoutMs}, with its default applied. */
  readonly idleTimeoutMs: number;
  /** {@link MembershipServerOptions.frameTimeoutMs}, with its default applied. */
  readonly frameTimeoutMs: number;
  /** {@link MembershipServerOptions.writeTimeoutMs}, with its default applied. */
  readonly writeTimeoutMs: number;
  /** {@link MembershipServerOptions.maxPendingOutput}, with its default applied. */
  readonly maxPendingOutput: number;
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
  const maxConnections = integerOption('maxConnections', options.maxConnections, 1024, 1, 1_000_000);
  return {
    clusterName: clusterNameOption(options.clusterName),
    secret: secretOption(options.secret),
    tls: tlsOption(options.tls, createSecureContext),
    maxFrameSize: integerOption('maxFrameSize', options.maxFrameSize, DEFAULT_MAX_FRAME_SIZE, 64, MAX_MAX_FRAME_SIZE),
    maxConnections,
    maxConnectionsPerPeer: integerOption('maxConnectionsPerPeer', options.maxConnectionsPerPeer, 64, 1, 1_000_000),
    raftReservedConnections: integerOption(
      'raftReservedConnections',
      options.raftReservedConnections,
      Math.min(64, Math.floor(maxConnections / 8)),
      0,
      maxConnections - 1,
    ),
    maxLingeringRefusals: integerOption('maxLingeringRefusals', options.maxLingeringRefusals, 64, 0, 1_000_000),
    maxInFlight: integerOption('maxInFlight', options.maxInFlight, 64, 1, 65_536),
    requestRatePerPeer: rateOption('requestRatePerPeer', options.requestRatePerPeer, 100),
    requestBurstPerPeer: integerOption('requestBurstPerPeer', options.requestBurstPerPeer, 50, 1, 1_000_000_000),
    preambleTimeoutMs: integerOption('preambleTimeoutMs', options.preambleTimeoutMs, 5_000, 1, DAY_MS),
    idleTimeoutMs: integerOption('idleTimeoutMs', options.idleTimeoutMs, 60_000, 1, DAY_MS),
    frameTimeoutMs: integerOption('frameTimeoutMs', options.frameTimeoutMs, 10_000, 1, DAY_MS),
    writeTimeoutMs: integerOption('writeTimeoutMs', options.writeTimeoutMs, 10_000, 1, DAY_MS),
    maxPendingOutput: integerOption('maxPendingOutput', options.maxPendingOutput, 256 * 1024, 1024, 1024 * 1024 * 1024),
    requestTimeoutMs: integerOption('requestTimeoutMs', options.requestTimeoutMs, 10_000, 1, DAY_MS),
    maxPendingStreams: integerOption('maxPendingStreams', options.maxPendingStreams, 64, 1, 65_536),
    closeGraceMs: integerOption('closeGraceMs', options.closeGraceMs, 5_000, 0, DAY_MS),
    logger: loggerOption(options.logger),
  };
}

/** A rate per second: a positive number, or `Infinity` for none. */
function rateOption(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== 'number' || Number.isNaN(chosen) || chosen <= 0) throw invalidOption(name, 'a positive number of requests per second, or Infinity', chosen);
  return chosen;
}
