/**
 * What an attack is: where it is aimed, how big it is, and the code its
 * attacker processes run. One module per attack under attacks/; the runner
 * (runner.ts) starts the server, the legitimate client and the attackers as
 * separate processes and judges the outcome (verdict.ts).
 */

/** The server an attack is run against, each in a process of its own with default options. */
export const Target = {
  /** A reference raft ClusterMember, bootstrapped alone: raft matters (its queue, its streams). */
  Member: 'member',
  /** A MembershipServer answering through an in-memory stand-in raft: raft does not matter. */
  StandIn: 'stand-in',
  /** Five ClusterMember processes forming one cluster: the attack is spread over all five. */
  Cluster: 'cluster',
} as const;
export type Target = (typeof Target)[keyof typeof Target];

/** What the legitimate client does each round. */
export const LegitMix = {
  /** Joins, then leaves. */
  JoinLeave: 'join-leave',
  /** Joins, reads the members, leaves, reads the members. */
  WithMembers: 'with-members',
} as const;
export type LegitMix = (typeof LegitMix)[keyof typeof LegitMix];

/** The size of an attack: counts by name (connections, peers, bytes...), already scaled. */
export type Counts = Readonly<Record<string, number>>;

/** Counters an attacker process reports, summed over processes by the runner. */
export type AttackerStats = Record<string, number>;

/** What an attacker process hands the attack's code. */
export interface AttackerContext {
  /** The servers to attack ("host:port"). */
  readonly targets: readonly string[];
  /** This process's source addresses (127.0.0.2, 127.0.0.3, ...): one per hostile peer. */
  readonly sources: readonly string[];
  /** This process's share of the counts (divided by the number of processes where it says so). */
  readonly counts: Counts;
  /** Which of the attack's processes this is (0-based), and how many there are. */
  readonly part: number;
  readonly parts: number;
  /** Seeded: the same seed replays the same choices. */
  readonly random: () => number;
  /** Aborts when the attack phase ends. */
  readonly signal: AbortSignal;
  /** Counters to report (opened, refused, bytes...). */
  readonly stats: AttackerStats;
}

/** A figure the attack itself must keep within a limit, beyond the common criteria. */
export interface ExtraCheck {
  readonly what: string;
  readonly value: number;
  readonly limit: number;
  /** 'max': fails above the limit; 'min': fails below it (the attack did not take effect). */
  readonly kind: 'max' | 'min';
}

/** What an attack's own checks are judged on. */
export interface Observed {
  /** The attackers' counters, summed over processes (`max*` counters: the largest). */
  readonly stats: AttackerStats;
  /** The attacked server's CPU use, in % of one core, before and during the attack. */
  readonly cpuBefore: number;
  readonly cpuDuring: number;
  /** ...and over the second half of the attack only: what it costs once in place. */
  readonly cpuLate: number;
  /** The worst event-loop delay of any attacked server during the attack, in ms. */
  readonly loopDelayMs: number;
}

/** Run profile values an attack may need to size itself or its checks. */
export interface AttackProfile {
  /** Multiplies connection and peer counts; 1 is the figures. */
  readonly scale: number;
  /** Length of the attack phase, in ms. */
  readonly duringMs: number;
  /** True for the fast versions run by `npm test`. */
  readonly fast: boolean;
}

/** One attack of issue 12's table. */
export interface Attack {
  /** The row of the table (1..10); a variant keeps its number. */
  readonly number: number;
  /** Short name, used to pick it: `npm run attack -- <name>`. */
  readonly name: string;
  /** One line: what the attackers do. */
  readonly summary: string;
  readonly target: Target;
  /** The stand-in raft's configuration at start (members of `idBytes`-long ids). */
  readonly standIn?: { readonly members: number; readonly idBytes: number };
  /** @default LegitMix.JoinLeave */
  readonly legit?: LegitMix;
  /** Attacker processes. */
  readonly processes: number;
  /** Distinct source addresses (hostile peers), spread over the processes. */
  readonly sources: number | ((profile: AttackProfile) => number);
  /** The server process's open-file limit (`ulimit -n`), where the attack is about running out. */
  readonly serverFdLimit?: number;
  /** In the full profile, the attack phase lasts at least this long (e.g. to outlast a 5 s deadline). @default 0 */
  readonly minDuringMs?: number;
  /** The attack's size for this profile; the runner divides `perProcess` names evenly. */
  counts(profile: AttackProfile): { readonly total: Counts; readonly perProcess: readonly string[] };
  /** Runs in each attacker process until `ctx.signal` aborts. */
  run(ctx: AttackerContext): Promise<void>;
  /** Attack-specific limits, judged from the attackers' stats and the server's CPU. */
  checks?(observed: Observed, profile: AttackProfile): readonly ExtraCheck[];
  /**
   * A floor under the legitimate p99 bound (10× before), in ms, for an
   * attack whose cost to each legitimate call is bounded by design rather
   * than near zero (given the number of hostile peers). @default none
   */
  readonly legitP99FloorMs?: (sources: number) => number;
}
