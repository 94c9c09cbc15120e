import type { ConnectionOptions } from 'node:tls';
import { parseAddress } from '../../membership/address.js';
import { InvalidOptionError } from '../../membership/errors.js';
import { clusterNameOption, integerOption, secretOption } from '../../membership/option-checks.js';
import type { ServerAddress } from '../../membership/types.js';
import type { ConformanceCaseResult } from '../case.js';

/** The fixed start of every server id the kit joins, so that an operator can tell them from real servers. */
export const CONFORMANCE_ID_PREFIX = 'rftm-conformance-';

/** Options of {@link runServerConformance}: what the kit cannot guess about the target. */
export interface ServerConformanceOptions {
  /** The cluster name the target expects. @default '' */
  readonly clusterName?: string;
  /** The target's shared secret (§4), when it has one: the §4 cases need it. */
  readonly secret?: string | Uint8Array;
  /** Dial with TLS using these `node:tls` options. */
  readonly tls?: ConnectionOptions;
  /** A follower of the target's cluster, for the redirect cases (§7, §8). */
  readonly follower?: ServerAddress;
  /** Whether the target serves its configuration (`members` answered `ok` by the leader). @default true */
  readonly members?: boolean;
  /**
   * Whether the kit may change the cluster's membership: join servers (ids
   * starting `rftm-conformance-`, at addresses nobody listens on) and
   * remove them again at the end. Without it, the cases that need a change
   * are skipped. @default true
   */
  readonly changes?: boolean;
  /**
   * The role of the servers the kit joins. A voter at an address nobody
   * listens on counts towards the quorum until it is removed: keep the
   * default unless the target refuses non-voters. @default 'nonvoter'
   */
  readonly joinRole?: 'voter' | 'nonvoter';
  /** The host of the addresses the kit joins (port 47001 and up): an address nothing answers on. @default '192.0.2.1' (TEST-NET-1) */
  readonly joinHost?: string;
  /** The target's maximum frame size (§6). @default 65536 */
  readonly maxFrameSize?: number;
  /** The target's preamble deadline (§5), which the kit waits out. @default 5000 */
  readonly preambleTimeoutMs?: number;
  /** The target's idle timeout for membership connections (§9); the idle case runs only with it. */
  readonly idleTimeoutMs?: number;
  /** The target's connection limit (§2 row 8, §9); the `Busy` case runs only with it. */
  readonly maxConnections?: number;
  /** The target's frame deadline (§9: a frame begun must be whole within it); the case runs only with it. */
  readonly frameTimeoutMs?: number;
  /** The target's raft channel echoes what it receives (a test build): the §5 pass-through case runs only with it. */
  readonly raftEcho?: boolean;
  /**
   * Makes the target begin to close (shut down) and resolves once asked:
   * the cases of closing (§2 row 7, §8 `shutting_down`) run last, only with
   * it. The target is gone afterwards.
   */
  readonly closeTarget?: () => Promise<void>;
  /** Run only the cases whose name is, or starts with, one of these. */
  readonly only?: readonly string[];
  /** Leave out the cases whose name is, or starts with, one of these. */
  readonly skip?: readonly string[];
  /** How long the kit waits for a reply or a response it expects. @default 2000 */
  readonly waitMs?: number;
  /** How long the kit watches for something that must not come. @default 300 */
  readonly quietMs?: number;
  /** Told of each result as it comes. */
  readonly onResult?: (result: ConformanceCaseResult) => void;
  /** Stops the run after the current case (changes are still undone). */
  readonly signal?: AbortSignal;
}

/** The options with defaults applied. */
export interface ResolvedServerConformanceOptions {
  readonly clusterName: string;
  readonly secret: Uint8Array | undefined;
  readonly tls: ConnectionOptions | undefined;
  readonly follower: ServerAddress | undefined;
  readonly members: boolean;
  readonly changes: boolean;
  readonly joinRole: 'voter' | 'nonvoter';
  readonly joinHost: string;
  readonly maxFrameSize: number;
  readonly preambleTimeoutMs: number;
  readonly idleTimeoutMs: number | undefined;
  readonly maxConnections: number | undefined;
  readonly frameTimeoutMs: number | undefined;
  readonly raftEcho: boolean;
  readonly closeTarget: (() => Promise<void>) | undefined;
  readonly only: readonly string[];
  readonly skip: readonly string[];
  readonly waitMs: number;
  readonly quietMs: number;
  readonly onResult: ((result: ConformanceCaseResult) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

const HOUR_MS = 3_600_000;

/** Checks `options`, naming the one that is wrong. */
export function resolveServerConformanceOptions(options: ServerConformanceOptions): ResolvedServerConformanceOptions {
  if (options.follower !== undefined) checkAddress('follower', options.follower);
  const joinHost = options.joinHost ?? '192.0.2.1';
  checkAddress('joinHost', `${joinHost.includes(':') ? `[${joinHost}]` : joinHost}:7000`);
  if (options.joinRole !== undefined && options.joinRole !== 'voter' && options.joinRole !== 'nonvoter') {
    throw new InvalidOptionError(`joinRole must be "voter" or "nonvoter", got ${String(options.joinRole)}`);
  }
  return {
    clusterName: clusterNameOption(options.clusterName),
    secret: secretOption(options.secret),
    tls: options.tls,
    follower: options.follower,
    members: options.members ?? true,
    changes: options.changes ?? true,
    joinRole: options.joinRole ?? 'nonvoter',
    joinHost,
    maxFrameSize: integerOption('maxFrameSize', options.maxFrameSize, 65_536, 64, 16 * 1024 * 1024),
    preambleTimeoutMs: integerOption('preambleTimeoutMs', options.preambleTimeoutMs, 5_000, 1, HOUR_MS),
    idleTimeoutMs: options.idleTimeoutMs === undefined ? undefined : integerOption('idleTimeoutMs', options.idleTimeoutMs, 0, 1, HOUR_MS),
    maxConnections: options.maxConnections === undefined ? undefined : integerOption('maxConnections', options.maxConnections, 0, 1, 10_000),
    frameTimeoutMs: options.frameTimeoutMs === undefined ? undefined : integerOption('frameTimeoutMs', options.frameTimeoutMs, 0, 1, HOUR_MS),
    raftEcho: options.raftEcho ?? false,
    closeTarget: options.closeTarget,
    only: options.only ?? [],
    skip: options.skip ?? [],
    waitMs: integerOption('waitMs', options.waitMs, 2_000, 1, HOUR_MS),
    quietMs: integerOption('quietMs', options.quietMs, 300, 1, HOUR_MS),
    onResult: options.onResult,
    signal: options.signal,
  };
}

function checkAddress(name: string, address: string): void {
  try {
    parseAddress(address);
  } catch (err) {
    throw new InvalidOptionError(`${name}: ${(err as Error).message}`);
  }
}

/** True when `name` is selected by a list of names and name prefixes (`hello.` selects a group). */
export function selects(list: readonly string[], name: string): boolean {
  return list.some((entry) => name === entry || (entry.endsWith('.') && name.startsWith(entry)) || name.startsWith(`${entry}.`));
}
