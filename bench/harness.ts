/**
 * The benchmark harness: a scenario is a {@link Case} that runs one round
 * within a budget; {@link interleave} warms every case up, then runs rounds
 * of all of them in turn (rotating the order) so that compared cases see the
 * same machine state, and turns the rounds into a {@link ScenarioResult}.
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
}

/** A scenario as the harness drives it. */
export interface Case {
  readonly name: string;
  round(budget: Budget): Promise<Round>;
}

/** One scenario's figures. */
export interface ScenarioResult {
  readonly name: string;
  readonly group: string;
  readonly opsPerSec: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Operations measured (warm-up excluded). */
  readonly ops: number;
  /** Figures particular to the scenario (bytes per request, MiB/s...). */
  readonly extra?: Record<string, number>;
}

/** A ratio of two scenarios measured in the same run, with its target if the issue set one. */
export interface Ratio {
  readonly name: string;
  readonly value: number;
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
  const totals = cases.map(() => ({ ops: 0, ms: 0, samples: new Samples() }));
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const at = (k + r) % cases.length;
      const round = await cases[at]!.round(options.round);
      const total = totals[at]!;
      total.ops += round.ops;
      total.ms += round.elapsedMs;
      total.samples.addAll(round.latenciesUs);
    }
  }
  return cases.map((c, i) => summarize(group, c.name, totals[i]!.ops, totals[i]!.ms, totals[i]!.samples));
}

/** A result from totals. */
export function summarize(group: string, name: string, ops: number, ms: number, samples: Samples, extra?: Record<string, number>): ScenarioResult {
  const sorted = samples.sorted();
  return {
    name,
    group,
    opsPerSec: ms > 0 ? (ops * 1000) / ms : 0,
    p50Us: percentile(sorted, 50),
    p99Us: percentile(sorted, 99),
    ops,
    ...(extra ? { extra } : {}),
  };
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

/** `a / b`, with a target check when given one (`<=` or `>=`). */
export function ratio(name: string, a: number, b: number, target?: { op: '<=' | '>='; value: number }): Ratio {
  const value = a / b;
  if (!target) return { name, value };
  return { name, value, target: `${target.op} ${target.value}`, met: target.op === '<=' ? value <= target.value : value >= target.value };
}

/** Whether `name` is selected. */
export function isSelected(selected: readonly string[], name: string): boolean {
  return selected.includes(name);
}

/** Resolves on the next turn of the event loop, after I/O. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
