import { createSecureContext, type ConnectionOptions } from 'node:tls';
import { parseAddress } from '../membership/address.js';
import { InvalidOptionError } from '../membership/errors.js';
import { loggerOption, type LogWriter, type Logger } from '../membership/logger.js';
import { DAY_MS, checkOptionKeys, clusterNameOption, integerOption, invalidOption, optionsObject, secretOption, tlsOption } from '../membership/option-checks.js';
import type { ServerAddress } from '../membership/types.js';
import { MAX_MAX_FRAME_SIZE } from '../protocol/frame-decoder.js';
import { MEMBERS_PAGE_BYTES } from '../protocol/messages.js';

/** Options of {@link TcpChanger}. */
export interface TcpChangerOptions {
  /**
   * This server's own raft address, sent in join requests. Only `join`
   * needs it: a changer that only leaves, reads members or dials may omit it.
   */
  readonly address?: ServerAddress;
  /** The cluster's name; servers refuse a different one. @default '' */
  readonly clusterName?: string;
  /** The cluster's shared secret, when its servers require one. */
  readonly secret?: string | Uint8Array;
  /** Dial with TLS using these `node:tls` options (add `cert`/`key` for mutual TLS). */
  readonly tls?: ConnectionOptions;
  /** Pooled membership connections per target server. @default 1 */
  readonly connectionsPerTarget?: number;
  /** A pooled connection with nothing in flight is closed after this long. @default 30000 */
  readonly idleTimeoutMs?: number;
  /** Redirects to a leader followed within one attempt. @default 8 */
  readonly maxRedirects?: number;
  /** The first back-off while no leader is known, before jitter. @default 50 */
  readonly minBackoffMs?: number;
  /** The longest back-off. @default 1000 */
  readonly maxBackoffMs?: number;
  /**
   * The largest response frame accepted, in bytes: at least 65536, the
   * largest response a server sends (a `members` answer comes in pages).
   * @default 65536
   */
  readonly maxFrameSize?: number;
  /**
   * Where connection events are reported: pino's and bunyan's shape
   * (`logger.debug(fields, message)`), so a pino logger fits as it is.
   * `NODE_DEBUG=raft-membership` prints them too. @default silent
   */
  readonly logger?: Logger;
}

/** The options with every default filled in and every value checked. */
export interface ResolvedClientOptions {
  /** {@link TcpChangerOptions.address}, with its default applied. */
  readonly address: ServerAddress | undefined;
  /** {@link TcpChangerOptions.clusterName}, with its default applied. */
  readonly clusterName: string;
  /** {@link TcpChangerOptions.secret}, with its default applied. */
  readonly secret: Uint8Array | undefined;
  /** {@link TcpChangerOptions.tls}, with its default applied. */
  readonly tls: ConnectionOptions | undefined;
  /** {@link TcpChangerOptions.connectionsPerTarget}, with its default applied. */
  readonly connectionsPerTarget: number;
  /** {@link TcpChangerOptions.idleTimeoutMs}, with its default applied. */
  readonly idleTimeoutMs: number;
  /** {@link TcpChangerOptions.maxRedirects}, with its default applied. */
  readonly maxRedirects: number;
  /** {@link TcpChangerOptions.minBackoffMs}, with its default applied. */
  readonly minBackoffMs: number;
  /** {@link TcpChangerOptions.maxBackoffMs}, with its default applied. */
  readonly maxBackoffMs: number;
  /** {@link TcpChangerOptions.maxFrameSize}, with its default applied. */
  readonly maxFrameSize: number;
  /** {@link TcpChangerOptions.logger}, as the library writes to it (and to `NODE_DEBUG`). */
  readonly logger: LogWriter;
}

/** @internal Checks every option (the error names it) and fills in the defaults. */
export function resolveClientOptions(given: TcpChangerOptions = {}): ResolvedClientOptions {
  const options: TcpChangerOptions = optionsObject('TcpChanger options', given);
  checkOptionKeys('TcpChanger options', options, resolveClientOptions);
  if (options.address !== undefined) {
    if (typeof options.address !== 'string') throw invalidOption('address (this server\'s own raft address)', 'a "host:port" string', options.address);
    try {
      parseAddress(options.address);
    } catch (err) {
      throw new InvalidOptionError(`address: ${(err as Error).message}`, { cause: err });
    }
  }
  const minBackoffMs = integerOption('minBackoffMs', options.minBackoffMs, 50, 0, DAY_MS);
  return {
    address: options.address,
    clusterName: clusterNameOption(options.clusterName),
    secret: secretOption(options.secret),
    tls: tlsOption(options.tls, createSecureContext),
    connectionsPerTarget: integerOption('connectionsPerTarget', options.connectionsPerTarget, 1, 1, 64),
    idleTimeoutMs: integerOption('idleTimeoutMs', options.idleTimeoutMs, 30_000, 1, DAY_MS),
    maxRedirects: integerOption('maxRedirects', options.maxRedirects, 8, 0, 100),
    minBackoffMs,
    maxBackoffMs: integerOption('maxBackoffMs', options.maxBackoffMs, 1_000, minBackoffMs, DAY_MS),
    maxFrameSize: integerOption('maxFrameSize', options.maxFrameSize, MEMBERS_PAGE_BYTES, MEMBERS_PAGE_BYTES, MAX_MAX_FRAME_SIZE),
    logger: loggerOption(options.logger),
  };
}
