/**
 * How long and how big a run is, and the limits it is judged against: from
 * ATTACK_* environment variables for `npm run attack`, and a fast profile
 * of seconds per attack for `npm test`.
 */
import { resolveServerOptions, type ResolvedServerOptions } from '../../src/server/server-options.js';
import type { AttackProfile } from './attack.js';

/** The limits of the pass criteria. */
export interface Bounds {
  /** A legitimate call's p99 during the attack may be at most this many times its p99 before. @default 10 */
  readonly p99Factor: number;
  /** ...or this many ms, whichever is more: below it the ratio measures scheduling noise. */
  readonly p99FloorMs: number;
  /**
   * What the server may hold for each connection open (bytes): the bound
   * docs/reliability.md "Limits and their defaults" documents, computed
   * from the server's default options. The server's RSS may grow by this
   * × the connections the attack holds open, plus `rssSlackMb`.
   */
  readonly perConnectionBytes: number;
  /** RSS growth allowed beyond that: garbage not yet collected, heap the runtime keeps. @default 64 */
  readonly rssSlackMb: number;
  /**
   * Descriptors the server may open beyond those it had when the attack
   * began: `maxConnections + maxLingeringRefusals` of its default options
   * (every inbound connection counted, refused ones included).
   */
  readonly extraFds: number;
}

/**
 * The documented bound of what the server holds per membership connection,
 * for `options` (docs/reliability.md, "Memory per membership connection"):
 * `maxFrameSize + maxPendingOutput + maxInFlight × 1 KiB + 256 KiB`, plus
 * the socket's own.
 */
export function perConnectionBound(options: ResolvedServerOptions): number {
  return options.maxFrameSize + options.maxPendingOutput + options.maxInFlight * 1024 + FIXED_BYTES + SOCKET_BYTES;
}

/** Three socket reads of 64 KiB, and the one answer that may pass `maxPendingOutput` (a members page of 64 KiB at most). */
const FIXED_BYTES = 256 * 1024;
/** A plain TCP socket's own memory, as measured for the documented bound. */
const SOCKET_BYTES = 30 * 1024;

/** A whole run's settings. */
export interface RunProfile extends AttackProfile {
  /** The legitimate client's first calls, not measured (JIT, first connections). */
  readonly warmUpMs: number;
  readonly beforeMs: number;
  readonly afterMs: number;
  /** The legitimate client starts a call this often (or as soon as the last one ended, if later). */
  readonly intervalMs: number;
  /** The legitimate client's deadline per call. */
  readonly callTimeoutMs: number;
  /** Seeds the attackers' choices; printed so that a run can be replayed. */
  readonly seed: number;
  readonly bounds: Bounds;
}

type Env = Readonly<Record<string, string | undefined>>;

function number(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function bounds(env: Env, p99FloorMs: number): Bounds {
  // The attacked servers run with the default options.
  const defaults = resolveServerOptions({});
  return {
    p99Factor: number(env, 'ATTACK_P99_FACTOR', 10, 1),
    p99FloorMs: number(env, 'ATTACK_P99_FLOOR_MS', p99FloorMs),
    perConnectionBytes: perConnectionBound(defaults),
    rssSlackMb: number(env, 'ATTACK_RSS_SLACK_MB', 64, 0),
    extraFds: number(env, 'ATTACK_EXTRA_FDS', defaults.maxConnections + defaults.maxLingeringRefusals, 1),
  };
}

function seed(env: Env): number {
  return number(env, 'ATTACK_SEED', Math.floor(Math.random() * 2 ** 31));
}

/**
 * `npm run attack`: the sizes (ATTACK_SCALE 1), 30 s of attack
 * (ATTACK_SECONDS) between 5 s before and 5 s after, a call every 250 ms.
 */
export function fullProfile(env: Env = process.env): RunProfile {
  return {
    fast: false,
    scale: number(env, 'ATTACK_SCALE', 1, 0.001),
    duringMs: number(env, 'ATTACK_SECONDS', 30, 1) * 1_000,
    warmUpMs: 2_000,
    beforeMs: number(env, 'ATTACK_BEFORE_SECONDS', 5, 1) * 1_000,
    afterMs: number(env, 'ATTACK_AFTER_SECONDS', 5, 1) * 1_000,
    intervalMs: number(env, 'ATTACK_INTERVAL_MS', 250, 10),
    callTimeoutMs: number(env, 'ATTACK_CALL_TIMEOUT_MS', 5_000, 100),
    seed: seed(env),
    bounds: bounds(env, 0),
  };
}

/**
 * `npm test`: the same attacks at the same sizes (they must pass the
 * server's default limits to mean anything), for seconds: 0.5 s before, 2 s
 * of attack, 0.5 s after, a call every 50 ms with a 2 s deadline. The p99
 * ratio gets a 500 ms floor: the attacks run alone (their own vitest
 * project, after the suite), but the server, its cluster, the attackers and
 * the client share two cores, and the OS stalls a server for a few hundred
 * ms now and then; an attack that locks clients out still takes seconds.
 */
export function fastProfile(env: Env = process.env): RunProfile {
  return {
    fast: true,
    scale: 1,
    duringMs: 2_000,
    warmUpMs: 500,
    beforeMs: 500,
    afterMs: 500,
    intervalMs: 50,
    callTimeoutMs: 2_000,
    seed: seed(env),
    bounds: bounds(env, 500),
  };
}
