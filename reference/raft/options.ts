/**
 * Reference raft engine (not part of the published API): the options of a
 * RaftNode and their checks.
 */
import { parseAddress } from '../../src/membership/address.js';
import { InvalidOptionError } from '../../src/membership/errors.js';
import type { RaftState } from '../../src/membership/raft.js';
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import { MemoryStorage, type RaftStorage } from './storage.js';
import type { StreamLayer } from './stream-layer.js';

/** Receives diagnostics; the engine is silent without one. */
export type RaftLogger = (level: 'debug' | 'info' | 'warn', message: string) => void;

/** Options of `RaftNode`. */
export interface RaftNodeOptions {
  /** This server's id. */
  readonly id: ServerID;
  /** The address peers dial to reach this server, "host:port". */
  readonly address: ServerAddress;
  /** Where streams to and from peers come from; the node never closes it. */
  readonly layer: StreamLayer;
  /** Durable state; pass the same one to a restarted node. @default a new MemoryStorage */
  readonly storage?: RaftStorage;
  /** Minimum election timeout; each timeout is random in [t, 2t]. @default 1000 */
  readonly electionTimeoutMs?: number;
  /** Leader heartbeat interval; must be below electionTimeoutMs. @default 100 */
  readonly heartbeatMs?: number;
  /**
   * How long a peer may take to send one frame, from its first byte to its
   * last; a slower one has its stream closed. @default 2 × electionTimeoutMs
   */
  readonly frameTimeoutMs?: number;
  /**
   * The longest wait before trying again a server that could not be
   * reached; the waits double from `heartbeatMs` up to it, with jitter.
   * @default the longer of 5 s and 10 × electionTimeoutMs
   */
  readonly maxBackoffMs?: number;
  /** @default silent */
  readonly logger?: RaftLogger;
}

/** What `RaftNode.onStateChange` listeners receive. */
export interface StateChange {
  readonly id: ServerID;
  readonly state: RaftState;
  readonly term: number;
  /** The leader's id and address as this server knows them, '' when unknown. */
  readonly leaderId: ServerID;
  readonly leader: ServerAddress;
}

/** The options with their defaults filled in. */
export type ResolvedOptions = Required<RaftNodeOptions>;

/** Checks every option, naming the one at fault in an {@link InvalidOptionError}. */
export function resolveOptions(options: RaftNodeOptions): ResolvedOptions {
  if (typeof options.id !== 'string' || options.id === '') throw new InvalidOptionError('id must be a non-empty string');
  try {
    parseAddress(options.address);
  } catch (cause) {
    throw new InvalidOptionError(`address must be "host:port", got ${JSON.stringify(options.address)}`, { cause });
  }
  if (typeof options.layer?.dial !== 'function' || typeof options.layer.accept !== 'function') {
    throw new InvalidOptionError('layer must be a StreamLayer with dial() and accept()');
  }
  const electionTimeoutMs = options.electionTimeoutMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 100;
  if (!Number.isFinite(electionTimeoutMs) || electionTimeoutMs < 10) {
    throw new InvalidOptionError(`electionTimeoutMs must be at least 10, got ${electionTimeoutMs}`);
  }
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 1 || heartbeatMs >= electionTimeoutMs) {
    throw new InvalidOptionError(`heartbeatMs must be at least 1 and below electionTimeoutMs, got ${heartbeatMs}`);
  }
  const frameTimeoutMs = options.frameTimeoutMs ?? 2 * electionTimeoutMs;
  if (!Number.isFinite(frameTimeoutMs) || frameTimeoutMs < 1) {
    throw new InvalidOptionError(`frameTimeoutMs must be at least 1, got ${frameTimeoutMs}`);
  }
  const maxBackoffMs = options.maxBackoffMs ?? Math.max(5000, 10 * electionTimeoutMs);
  if (!Number.isFinite(maxBackoffMs) || maxBackoffMs < heartbeatMs) {
    throw new InvalidOptionError(`maxBackoffMs must be at least heartbeatMs, got ${maxBackoffMs}`);
  }
  return {
    id: options.id,
    address: options.address,
    layer: options.layer,
    storage: options.storage ?? new MemoryStorage(),
    electionTimeoutMs,
    heartbeatMs,
    frameTimeoutMs,
    maxBackoffMs,
    logger: options.logger ?? (() => undefined),
  };
}
