/**
 * Runs one attack: the servers, the legitimate client and the attackers,
 * each a process of its own; a phase before the attack, the attack, a
 * phase after; the servers sampled from /proc all along. Every process is
 * killed (its whole group) however the run ends.
 */
import { TsChild } from '../support/child-process.js';
import { ProcSampler, type ProcSummary } from '../support/proc-stats.js';
import { LegitMix, type Attack, type AttackerStats, type Counts, type ExtraCheck } from './attack.js';
import type { AttackerConfig } from './processes/attacker.js';
import type { CallRecord, LegitConfig } from './processes/legit-client.js';
import type { RunProfile } from './profile.js';
import { Servers } from './servers.js';
import { PHASES, judge, mergeStats, phaseStats, type Phase, type PhaseStats } from './verdict.js';

const ATTACKER_SCRIPT = new URL('./processes/attacker.ts', import.meta.url);
const LEGIT_SCRIPT = new URL('./processes/legit-client.ts', import.meta.url);
/** Attackers get the CPU the servers and the client leave (see docs/reliability.md). */
const ATTACKER_NICENESS = 19;
/** The sampler's name for the second half of the attack phase. */
const LATE = 'during, second half';

/** What one attack did, and the verdict. */
export interface AttackResult {
  readonly attack: Attack;
  readonly seed: number;
  readonly legit: Readonly<Record<Phase, PhaseStats>>;
  /** The servers' RSS when the attack began, and its peak during and after (the largest over servers), in bytes. */
  readonly rssAtStart: number;
  readonly peakRss: number;
  /** The servers' open descriptors when the attack began, and their peak during and after (the largest over servers). */
  readonly fdsAtStart: number;
  readonly peakFds: number;
  /** CPU of the busiest server, in % of a core. */
  readonly cpuBefore: number;
  readonly cpuDuring: number;
  /** The worst event-loop delay of any server during the attack, in ms. */
  readonly loopDelayMs: number;
  /** Terms started during and after the attack (a new term: the leader was lost); undefined without raft. */
  readonly newTerms: number | undefined;
  readonly stats: AttackerStats;
  readonly checks: readonly ExtraCheck[];
  /** Every criterion failed; empty when the run passed. */
  readonly failures: readonly string[];
}

/** The `i`-th attacker source address: 127.0.0.2, 127.0.0.3, ... (all of 127/8 is loopback on Linux). */
export function sourceAddress(i: number): string {
  const n = i + 2;
  return n < 255 ? `127.0.0.${n}` : `127.0.${1 + Math.floor((n - 255) / 254)}.${1 + ((n - 255) % 254)}`;
}

/** Process `part`'s share of the counts: the `perProcess` ones divided as evenly as possible. */
function share(total: Counts, perProcess: readonly string[], part: number, parts: number): Counts {
  const out: Record<string, number> = { ...total };
  for (const name of perProcess) {
    const n = total[name] ?? 0;
    out[name] = Math.floor(n / parts) + (part < n % parts ? 1 : 0);
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function largest(summaries: readonly ProcSummary[], key: keyof ProcSummary): number {
  return Math.max(0, ...summaries.map((s) => s[key]));
}

/** The processes of one run. */
interface Cast {
  readonly servers: Servers;
  readonly legit: TsChild;
  readonly attackers: readonly TsChild[];
}

/** What the phases observed, before it is summed up. */
interface Observed {
  readonly records: readonly CallRecord[];
  readonly stats: AttackerStats;
  readonly loopDelayMs: number;
  readonly rssAtStart: number;
  readonly fdsAtStart: number;
  readonly termAtStart: number | undefined;
  readonly termAtEnd: number | undefined;
}

/**
 * Starts the legitimate client, the attackers and the servers, all at once
 * (the others learn the servers' addresses when they are up); every child
 * started goes into `children`, for the caller to stop.
 */
async function startCast(attack: Attack, profile: RunProfile, children: TsChild[], onServers: (servers: Servers) => void): Promise<Cast> {
  const parts = attack.processes;
  const sources = Array.from({ length: sourceCount(attack, profile) }, (_, i) => sourceAddress(i));
  const { total, perProcess } = attack.counts(profile);
  const legitConfig: LegitConfig = { intervalMs: profile.intervalMs, timeoutMs: profile.callTimeoutMs, mix: attack.legit ?? LegitMix.JoinLeave };
  const legit = TsChild.start(LEGIT_SCRIPT, legitConfig, { name: 'legitimate client' });
  children.push(legit);
  const attackers = Array.from({ length: parts }, (_, part) => {
    const config: AttackerConfig = {
      attack: attack.name,
      sources: sources.filter((_, i) => i % parts === part),
      counts: share(total, perProcess, part, parts),
      part,
      parts,
      seed: (profile.seed + part * 7_919) >>> 0,
    };
    // Niced: on a shared machine the attackers' own CPU must not be what starves the servers.
    return TsChild.start(ATTACKER_SCRIPT, config, { name: `attacker ${part + 1}/${parts}`, nice: ATTACKER_NICENESS });
  });
  children.push(...attackers);
  const servers = await Servers.start(attack);
  onServers(servers);
  await Promise.all(children.map((c) => c.ready));
  await legit.ask('start', { targets: servers.addresses });
  return { servers, legit, attackers };
}

/** Warm-up, before, during (the attackers go; killed at its end), after; returns what they observed. */
async function runPhases(attack: Attack, profile: RunProfile, cast: Cast, samplers: readonly ProcSampler[], step: (what: string) => void): Promise<Observed> {
  const { servers, legit, attackers } = cast;
  const mark = (phase: Phase): Promise<unknown> => {
    for (const sampler of samplers) sampler.mark(phase);
    return legit.ask('phase', { name: phase });
  };
  // Let the client warm up (its first calls JIT-compile), then measure.
  await sleep(profile.warmUpMs);
  await Promise.all([mark('before'), servers.loopDelay()]);
  step('before');
  await sleep(profile.beforeMs);

  const termAtStart = servers.term;
  const rssAtStart = Math.max(...samplers.map((s) => s.last()?.rss ?? 0));
  const fdsAtStart = Math.max(...samplers.map((s) => s.last()?.fds ?? 0));
  await Promise.all([mark('during'), servers.loopDelay()]);
  await Promise.all(attackers.map((a) => a.ask('go', { targets: servers.addresses })));
  step(`attack: ${attackers.length} process(es), ${JSON.stringify(attack.counts(profile).total)}`);
  // The attack's second half is a stretch of its own: what the attack costs once it is in place.
  const duringMs = Math.max(profile.duringMs, profile.fast ? 0 : (attack.minDuringMs ?? 0));
  await sleep(duringMs / 2);
  for (const sampler of samplers) sampler.mark(LATE);
  await sleep(duringMs / 2);
  const stats = mergeStats(await Promise.all(attackers.map((a) => a.ask<AttackerStats>('stats').catch(() => ({ unanswered: 1 })))));
  await Promise.all(attackers.map((a) => a.stop()));

  await mark('after');
  step('attackers killed; after');
  // A server stalled by the attack answers once it gets to it: the delay it reports covers the stall.
  const [loopDelayMs] = await Promise.all([servers.loopDelay(), sleep(profile.afterMs)]);
  const records = await legit.ask<CallRecord[]>('finish');
  step('done');
  return { records, stats, loopDelayMs, rssAtStart, fdsAtStart, termAtStart, termAtEnd: servers.term };
}

/** How many hostile peers (source addresses) `attack` has in `profile`. */
function sourceCount(attack: Attack, profile: RunProfile): number {
  return typeof attack.sources === 'number' ? attack.sources : attack.sources(profile);
}

/** The figures of a run and its verdict. */
function summarize(attack: Attack, profile: RunProfile, observed: Observed, samplers: readonly ProcSampler[]): AttackResult {
  const { records, stats, loopDelayMs, rssAtStart, fdsAtStart, termAtStart, termAtEnd } = observed;
  const over = (...stretches: string[]): ProcSummary[] => samplers.map((s) => s.summary(...stretches));
  const legit = Object.fromEntries(PHASES.map((phase) => [phase, phaseStats(records, phase)])) as Record<Phase, PhaseStats>;
  const cpuBefore = largest(over('before'), 'cpuPercent');
  const cpuDuring = largest(over('during', LATE), 'cpuPercent');
  const cpuLate = largest(over(LATE), 'cpuPercent');
  const checks = attack.checks?.({ stats, cpuBefore, cpuDuring, cpuLate, loopDelayMs }, profile) ?? [];
  const peakRss = largest(over('during', LATE, 'after'), 'peakRss');
  const peakFds = largest(over('during', LATE, 'after'), 'peakFds');
  const terms = termAtStart === undefined || termAtEnd === undefined ? {} : { termAtStart, termAtEnd };
  const floor = attack.legitP99FloorMs?.(sourceCount(attack, profile)) ?? 0;
  const bounds = { ...profile.bounds, p99FloorMs: Math.max(profile.bounds.p99FloorMs, floor) };
  const failures = judge({ legit, rssAtStart, peakRss, fdsAtStart, peakFds, ...terms, checks }, bounds);
  return {
    attack,
    seed: profile.seed,
    legit,
    rssAtStart,
    peakRss,
    fdsAtStart,
    peakFds,
    cpuBefore,
    cpuDuring,
    loopDelayMs,
    newTerms: termAtStart === undefined || termAtEnd === undefined ? undefined : termAtEnd - termAtStart,
    stats,
    checks,
    failures,
  };
}

/** Runs `attack` under `profile`; `log` gets progress lines. */
export async function runAttack(attack: Attack, profile: RunProfile, log: (line: string) => void = () => undefined): Promise<AttackResult> {
  const children: TsChild[] = [];
  let servers: Servers | undefined;
  const samplers: ProcSampler[] = [];
  const began = performance.now();
  const step = (what: string): void => log(`  ${((performance.now() - began) / 1000).toFixed(1)} s: ${what}`);
  try {
    const cast = await startCast(attack, profile, children, (started) => {
      servers = started;
      step(`server(s) up at ${started.addresses.join(', ')}`);
    });
    step('legitimate client and attackers up; warming up');
    samplers.push(...cast.servers.processes.map((s) => new ProcSampler(s.pid)));
    const observed = await runPhases(attack, profile, cast, samplers, step);
    for (const sampler of samplers) sampler.stop();
    return summarize(attack, profile, observed, samplers);
  } finally {
    for (const sampler of samplers) sampler.stop();
    await Promise.all(children.map((c) => c.stop()));
    await servers?.stop();
  }
}
