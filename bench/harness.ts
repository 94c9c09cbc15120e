/**
 * The benchmark harness: a scenario is a {@link Case} that runs one round
 * within a budget; {@link interleave} warms every case up, then runs rounds
 * of all of them in turn (rotating the order) so that compared cases see the
 * same machine state. Each round is one repetition: a scenario's figures are
 * the medians over its rounds, its noise their spread, and a ratio of two
 * scenarios is taken round by round (round r of each ran in the same pass)
 * before its median is reported.
 */

/** How long one round may go on: it stops at whichever limit comes first. */
export interface Budget {
  readonly iterations: number;
  readonly ms: number;
}

/** What one round measured. */
export interface Round {
  /** Operations completed in the round. */
  readonly ops: number;
  /** Wall time of the round, in ms. */
  readonly elapsedMs: number;
  /** Latency of each operation (or a sample of them), in µs. */
  readonly latenciesUs: ArrayLike<number>;
  /** Figures particular to the scenario, for this round (CPU µs per request...). */
  readonly figures?: Readonly<Record<string, number>>;
}

/** A scenario as the harness drives it. */
export interface Case {
  readonly name: string;
  round(budget: Budget): Promise<Round>;
}

/** Each round's figures, in the order the rounds ran. */
export interface PerRound {
  readonly opsPerSec: readonly number[];
  readonly p50Us: readonly number[];
  readonly p99Us: readonly number[];
  readonly figures: Readonly<Record<string, readonly number[]>>;
}

/** One scenario's figures: medians over its rounds. */
export interface ScenarioResult {
  readonly name: string;
  readonly group: string;
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Operations measured (warm-up excluded). */
  readonly ops: number;
  /** Measured rounds (repetitions). */
  readonly rounds: number;
  /** Spread across rounds: (max − min) / median, of ops/s and of p50. 0 with one round. */
  readonly noise: { readonly opsPerSec: number; readonly p50Us: number };
  readonly perRound: PerRound;
  /** Figures particular to the scenario (medians of its round figures, bytes per request, MiB/s...). */
  readonly extra?: Record<string, number>;
}

/** A ratio of two scenarios measured in the same run, with its target if the issue set one. */
export interface Ratio {
  readonly name: string;
  /** The median of the per-round ratios (or the one ratio). */
  readonly value: number;
  /** The lowest and highest per-round ratio, when taken round by round. */
  readonly spread?: readonly [number, number];
  /** E.g. `<= 1.5`. */
  readonly target?: string;
  readonly met?: boolean;
}

/** What a scenario group reports. */
export interface GroupReport {
  readonly results: ScenarioResult[];
  readonly ratios: Ratio[];
}

/** Settings shared by every group. */
export interface BenchConfig {
  /** Tiny counts: proves the scenarios run, measures nothing. */
  readonly smoke: boolean;
  /** Scenario names or group names to run; empty: all. */
  readonly only: readonly string[];
}

/** A group of scenarios measured side by side. */
export interface ScenarioGroup {
  readonly name: string;
  readonly scenarios: readonly string[];
  run(config: BenchConfig, selected: readonly string[]): Promise<GroupReport>;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Grows without reallocating per push; sorted once at the end. */
export class Samples {
  #values = new Float64Array(1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  addAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.push(values[i]!);
  }

  sorted(): Float64Array {
    return this.#values.slice(0, this.#length).sort();
  }
}

/** How a group's cases are warmed up and measured. */
export interface InterleaveOptions {
  /** Warm-up budget of each case (discarded). */
  readonly warmup: Budget;
  /** Budget of each measured round. */
  readonly round: Budget;
  /** Measured rounds of each case. */
  readonly rounds: number;
}

/**
 * Warms each case up, then measures `rounds` rounds of each, interleaved
 * and in a rotating order. ops/s counts only measured wall time.
 */
export async function interleave(group: string, cases: readonly Case[], options: InterleaveOptions): Promise<ScenarioResult[]> {
  for (const c of cases) await c.round(options.warmup);
  const measured = cases.map((): Round[] => []);
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const at = (k + r) % cases.length;
      measured[at]!.push(await cases[at]!.round(options.round));
    }
  }
  return cases.map((c, i) => summarizeRounds(group, c.name, measured[i]!));
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** (max − min) / median: how far apart the repetitions were. */
export function spreadOf(values: readonly number[]): number {
  if (values.length < 2) return 0;
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

/** A result from measured rounds: each figure is the median over the rounds. */
export function summarizeRounds(group: string, name: string, rounds: readonly Round[], extra?: Record<string, number>): ScenarioResult {
  const opsPerSec = rounds.map((r) => (r.elapsedMs > 0 ? (r.ops * 1000) / r.elapsedMs : 0));
  const p50Us: number[] = [];
  const p99Us: number[] = [];
  const figures: Record<string, number[]> = {};
  for (const round of rounds) {
    const sorted = Float64Array.from(round.latenciesUs).sort();
    p50Us.push(percentile(sorted, 50));
    p99Us.push(percentile(sorted, 99));
    for (const [key, value] of Object.entries(round.figures ?? {})) (figures[key] ??= []).push(value);
  }
  const figureMedians = Object.fromEntries(Object.entries(figures).map(([key, values]) => [key, median(values)]));
  const allExtra = { ...figureMedians, ...extra };
  return {
    name,
    group,
    opsPerSec: median(opsPerSec),
    p50Us: median(p50Us),
    p99Us: median(p99Us),
    ops: rounds.reduce((sum, r) => sum + r.ops, 0),
    rounds: rounds.length,
    noise: { opsPerSec: spreadOf(opsPerSec), p50Us: spreadOf(p50Us) },
    perRound: { opsPerSec, p50Us, p99Us, figures },
    ...(Object.keys(allExtra).length > 0 ? { extra: allExtra } : {}),
  };
}

/** A result from one round's totals. */
export function summarize(group: string, name: string, ops: number, ms: number, samples: Samples, extra?: Record<string, number>): ScenarioResult {
  return summarizeRounds(group, name, [{ ops, elapsedMs: ms, latenciesUs: samples.sorted() }], extra);
}

/** A case that awaits `op` one call at a time and times each call. */
export function sequential(name: string, op: () => Promise<unknown>): Case {
  return {
    name,
    async round({ iterations, ms }) {
      const latencies = new Samples();
      const start = performance.now();
      let now = start;
      let i = 0;
      while (i < iterations && now - start < ms) {
        const t0 = now;
        await op();
        now = performance.now();
        latencies.push((now - t0) * 1000);
        i++;
      }
      return { ops: i, elapsedMs: now - start, latenciesUs: latencies.sorted() };
    },
  };
}

/**
 * A case that keeps `depth` calls of `op` in flight, starting a new one as
 * each finishes, until the budget is spent; then waits for the stragglers
 * (counted, since the wall time includes them).
 */
export function pipelined(name: string, depth: number, op: () => Promise<unknown>): Case {
  return {
    name,
    round({ iterations, ms }) {
      return new Promise<Round>((resolve, reject) => {
        const latencies = new Samples();
        const start = performance.now();
        let started = 0;
        let finished = 0;
        let failed = false;
        const launch = (): void => {
          const t0 = performance.now();
          started++;
          op().then(() => {
            const now = performance.now();
            latencies.push((now - t0) * 1000);
            finished++;
            if (started < iterations && now - start < ms) launch();
            else if (finished === started) resolve({ ops: finished, elapsedMs: now - start, latenciesUs: latencies.sorted() });
          }, (err: unknown) => {
            if (!failed) reject(err);
            failed = true;
          });
        };
        for (let i = 0; i < depth && i < iterations; i++) launch();
      });
    },
  };
}

/** A target a ratio is checked against. */
export interface Target {
  readonly op: '<=' | '>=';
  readonly value: number;
}

/** `a / b`, with a target check when given one (`<=` or `>=`). */
export function ratio(name: string, a: number, b: number, target?: Target): Ratio {
  return checked({ name, value: a / b }, target);
}

/**
 * The ratio of two scenarios' figures round by round (round r of each ran
 * in the same interleaved pass): its median, and the lowest and highest.
 */
export function roundRatio(name: string, a: readonly number[], b: readonly number[], target?: Target): Ratio {
  const n = Math.min(a.length, b.length);
  const ratios = Array.from({ length: n }, (_, i) => a[i]! / b[i]!);
  return checked({ name, value: median(ratios), spread: [Math.min(...ratios), Math.max(...ratios)] }, target);
}

function checked(ratio: Ratio, target: Target | undefined): Ratio {
  if (!target) return ratio;
  const met = target.op === '<=' ? ratio.value <= target.value : ratio.value >= target.value;
  return { ...ratio, target: `${target.op} ${target.value}`, met };
}

/** A figure checked against an absolute target (µs per request, req/s). */
export function figure(name: string, value: number, target?: Target): Ratio {
  return checked({ name, value }, target);
}

/** Whether `name` is selected. */
export function isSelected(selected: readonly string[], name: string): boolean {
  return selected.includes(name);
}

/** Resolves on the next turn of the event loop, after I/O. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
