/**
 * The multi-process churn run: five reference raft servers, one process
 * each, with durable state; twenty clients (in two processes) joining and
 * leaving; meanwhile servers are killed with SIGKILL and restarted on their
 * port with their data directory (the leader among them), or stopped with
 * SIGSTOP and continued. At the end every server must hold the same
 * committed configuration, every acknowledged change must hold in it, and
 * no server may come back from a restart with an older term.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsChild } from '../support/child-process.js';
import { prng } from '../support/prng.js';
import { ProcessCluster } from './process-cluster.js';
import type { ChurnClientsConfig, ChurnRecord } from './processes/churn-clients.js';

const CLIENTS_SCRIPT = new URL('./processes/churn-clients.ts', import.meta.url);
const SERVERS = 5;

/** A fault: which signal, and whether it hits the leader (when there is one) or a follower. */
interface FaultKind {
  readonly signal: 'kill' | 'stop';
  readonly leader: boolean;
}

const FAULT_KINDS: readonly FaultKind[] = [
  { signal: 'kill', leader: true },
  { signal: 'kill', leader: false },
  { signal: 'stop', leader: true },
  { signal: 'stop', leader: false },
];

/** How a churn run goes. */
export interface ChurnOptions {
  readonly seed: number;
  /** How long faults are injected (at least `minFaults` of them, whatever the time). */
  readonly durationMs: number;
  /**
   * Faults made at least. The first four are, in a seeded order, kill -9 of
   * the leader, of a follower, SIGSTOP of the leader, of a follower; then
   * they are drawn at random. @default 4
   */
  readonly minFaults?: number;
  /** Clients, spread over `clientProcesses` processes. @default 20, 2 */
  readonly clients?: number;
  readonly clientProcesses?: number;
  /** A fault begins on average this often. */
  readonly faultEveryMs: number;
  /** Each client call's deadline. */
  readonly timeoutMs: number;
  readonly log?: (line: string) => void;
}

/** What a churn run did and found. */
export interface ChurnResult {
  readonly seed: number;
  readonly faults: readonly string[];
  readonly records: readonly ChurnRecord[];
  /** Acknowledged changes the final configuration does not hold. */
  readonly lost: readonly string[];
  /** Servers that disagree at the end, or came back from a restart with an older term. */
  readonly problems: readonly string[];
  /** Ids whose membership no acknowledged call decides (their last call was ambiguous). */
  readonly undecided: number;
  readonly finalConfiguration: readonly string[];
  readonly finalTerm: number;
}

/** Each id's membership as its calls, in order, decide it: a success sets it, a refusal keeps it, anything else makes it unknown. */
export function expectedMembership(records: readonly ChurnRecord[]): Map<string, boolean | 'unknown'> {
  const state = new Map<string, boolean | 'unknown'>();
  for (const r of records) {
    if (r.verdict === 'ok') state.set(r.id, r.op === 'join');
    else if (r.verdict === 'ambiguous') state.set(r.id, 'unknown');
    else if (!state.has(r.id)) state.set(r.id, false);
  }
  return state;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The seeded choices and the log of one churn run. */
class FaultPlan {
  readonly faults: string[] = [];
  readonly problems: string[] = [];
  readonly #random: () => number;
  readonly #log: (line: string) => void;
  readonly #began = performance.now();
  readonly #lastTerm = new Map<string, number>();
  readonly #firstFour: readonly FaultKind[];

  constructor(random: () => number, log: (line: string) => void) {
    this.#random = random;
    this.#log = log;
    this.#firstFour = FAULT_KINDS.map((kind) => ({ kind, order: random() }))
      .sort((a, b) => a.order - b.order)
      .map((f) => f.kind);
  }

  /** An integer in [min, max). */
  between(min: number, max: number): number {
    return Math.floor(min + this.#random() * (max - min));
  }

  note(line: string): void {
    this.#log(`${((performance.now() - this.#began) / 1000).toFixed(1)} s: ${line}`);
  }

  /** Makes fault number `n` on `c`: kill -9 and restart, or SIGSTOP and SIGCONT, of the leader or a follower. */
  async fault(c: ProcessCluster, n: number): Promise<void> {
    const { signal, leader: atLeader } = this.#firstFour[n] ?? { signal: this.#random() < 0.6 ? 'kill' : 'stop', leader: this.#random() < 0.5 };
    // A fault meant for the leader waits (a little) for there to be one.
    let statuses = await c.statuses();
    for (let tries = 0; atLeader && !statuses.some((s) => s.state === 'leader') && tries < 40; tries++) {
      await sleep(50);
      statuses = await c.statuses();
    }
    for (const s of statuses) this.#lastTerm.set(s.id, Math.max(this.#lastTerm.get(s.id) ?? 0, s.term));
    const leader = statuses.find((s) => s.state === 'leader')?.id;
    const followers = c.ids.filter((id) => id !== leader);
    const victim = atLeader && leader !== undefined ? leader : followers[this.between(0, followers.length)]!;
    const role = victim === leader ? 'leader' : 'follower';
    if (signal === 'kill') {
      const downMs = this.between(200, 1_000);
      this.#record(`kill -9 ${victim} (${role}), restarted ${downMs} ms later`);
      await c.kill(victim);
      await sleep(downMs);
      await c.restart(victim);
      const back = (await c.statuses()).find((s) => s.id === victim);
      const before = this.#lastTerm.get(victim) ?? 0;
      if (back && back.term < before) this.problems.push(`${victim} came back from kill -9 at term ${back.term}, had ${before}: its durable state was lost`);
    } else {
      const stoppedMs = this.between(300, 1_500);
      this.#record(`SIGSTOP ${victim} (${role}) for ${stoppedMs} ms`);
      c.pause(victim);
      await sleep(stoppedMs);
      c.resume(victim);
    }
  }

  #record(fault: string): void {
    this.faults.push(`${((performance.now() - this.#began) / 1000).toFixed(1)} s: ${fault}`);
    this.#log(this.faults.at(-1)!);
  }
}

/** Starts the client processes (not yet calling). */
function startClients(options: ChurnOptions): TsChild[] {
  const clientCount = options.clients ?? 20;
  const parts = options.clientProcesses ?? 2;
  return Array.from({ length: parts }, (_, part) => {
    const config: ChurnClientsConfig = {
      ids: Array.from({ length: clientCount }, (_, i) => `c${i + 1}`).filter((_, i) => i % parts === part),
      seed: (options.seed + 31 * (part + 1)) >>> 0,
      timeoutMs: options.timeoutMs,
      maxPauseMs: 50,
    };
    return TsChild.start(CLIENTS_SCRIPT, config, { name: `clients ${part + 1}/${parts}` });
  });
}

/** Once all is quiet: the servers must agree, and every acknowledged change hold in what they agree on. */
async function judgeChurn(c: ProcessCluster, records: readonly ChurnRecord[], problems: string[]): Promise<Pick<ChurnResult, 'lost' | 'undecided' | 'finalConfiguration'>> {
  const agreed = await c
    .settle((statuses) => new Set(statuses.map((s) => `${s.commitIndex} ${[...s.committed].sort().join(',')}`)).size === 1)
    .catch((err: Error) => {
      problems.push(`the servers did not agree: ${err.message}`);
      return c.statuses();
    });
  const final = agreed[0]?.committed ?? [];
  const ids = new Set(final.map((member) => member.split(' ')[0]!));
  const lost: string[] = [];
  let undecided = 0;
  for (const [id, want] of expectedMembership(records)) {
    if (want === 'unknown') undecided += 1;
    else if (ids.has(id) !== want) lost.push(`${id} should ${want ? '' : 'not '}be a member after its last acknowledged ${want ? 'join' : 'leave'}`);
  }
  for (const id of c.ids) if (!ids.has(id)) problems.push(`server ${id} is missing from the final configuration`);
  return { lost, undecided, finalConfiguration: final };
}

/** Runs the churn; every process it started is killed and the data directories removed, however it ends. */
export async function runChurn(options: ChurnOptions): Promise<ChurnResult> {
  const plan = new FaultPlan(prng(options.seed), options.log ?? (() => undefined));
  const dataDir = await mkdtemp(join(tmpdir(), 'raft-membership-churn-'));
  const clients = startClients(options);
  let cluster: ProcessCluster | undefined;
  try {
    cluster = await ProcessCluster.build({ size: SERVERS, dataDir });
    const c = cluster;
    await Promise.all(clients.map((child) => child.ready));
    await Promise.all(clients.map((child) => child.ask('start', { targets: c.addresses })));
    plan.note(`${SERVERS} servers up, ${options.clients ?? 20} clients joining and leaving`);
    const until = performance.now() + options.durationMs;
    for (let n = 0; n < (options.minFaults ?? 4) || performance.now() < until; n++) {
      await sleep(plan.between(options.faultEveryMs / 2, (options.faultEveryMs * 3) / 2));
      await plan.fault(c, n);
    }
    plan.note('faults over; clients finishing');
    const records = (await Promise.all(clients.map((child) => child.ask<ChurnRecord[]>('finish', {}, options.timeoutMs + 5_000)))).flat();
    const judged = await judgeChurn(c, records, plan.problems);
    return { seed: options.seed, faults: plan.faults, records, problems: plan.problems, ...judged, finalTerm: c.maxTerm };
  } finally {
    await Promise.all(clients.map((child) => child.stop()));
    await cluster?.stopAll();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** One paragraph of figures for the logs and docs. */
export function describeChurn(result: ChurnResult): string {
  const count = (verdict: ChurnRecord['verdict']): number => result.records.filter((r) => r.verdict === verdict).length;
  return [
    `churn (seed ${result.seed}): ${result.faults.length} faults (${result.faults.filter((f) => f.includes('kill')).length} kill -9, ${result.faults.filter((f) => f.includes('SIGSTOP')).length} SIGSTOP); ` +
      `${result.records.length} client calls: ${count('ok')} acknowledged, ${count('refused')} refused, ${count('ambiguous')} ambiguous; ` +
      `${result.lost.length} acknowledged changes lost; ${result.undecided} ids undecided at the end; final term ${result.finalTerm}; ` +
      `final configuration: ${result.finalConfiguration.length} servers`,
    ...result.lost.map((l) => `  LOST: ${l}`),
    ...result.problems.map((p) => `  PROBLEM: ${p}`),
  ].join('\n');
}
