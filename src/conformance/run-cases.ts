import { outcomeOf, type CaseDefinition, type ConformanceCaseResult, type Verdict } from './case.js';

/** What a case reports it saw is cut to this many characters: a report is read by people. */
const MAX_OBSERVED = 600;

/** How {@link runCases} runs a list of cases. */
export interface RunCasesOptions<C> {
  /** Cases run at once. @default 1 */
  readonly concurrency?: number;
  /** A case still running after this long fails (a hung implementation must not hang the kit). */
  readonly caseTimeoutMs: number;
  /** A fresh context for one case; `release` runs once the case is done, pass or fail. */
  context(definition: CaseDefinition<C>): Promise<{ context: C; release(): Promise<void> }>;
  /** Told of each result as it comes, e.g. for progress output. */
  onResult?(result: ConformanceCaseResult): void;
  /** Stops the run: cases not yet begun are left out. */
  readonly signal?: AbortSignal;
}

/**
 * Runs `cases` and returns their results in the cases' order. A case that
 * throws or runs too long fails with what it threw: the kit never lets one
 * case end the run.
 */
export async function runCases<C>(cases: readonly CaseDefinition<C>[], options: RunCasesOptions<C>): Promise<ConformanceCaseResult[]> {
  const results: (ConformanceCaseResult | undefined)[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length && !options.signal?.aborted) {
      const at = next++;
      const result = await runOne(cases[at]!, options);
      results[at] = result;
      options.onResult?.(result);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 1, cases.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results.filter((r): r is ConformanceCaseResult => r !== undefined);
}

async function runOne<C>(definition: CaseDefinition<C>, options: RunCasesOptions<C>): Promise<ConformanceCaseResult> {
  const began = performance.now();
  let result: Verdict;
  try {
    const { context, release } = await options.context(definition);
    try {
      result = await withTimeout(definition.run(context), options.caseTimeoutMs);
    } finally {
      await release();
    }
  } catch (err) {
    result = { kind: 'fail', observed: `the case could not finish: ${(err as Error)?.message ?? String(err)}` };
  }
  const { name, section, row, requirement, description } = definition;
  return {
    name,
    section,
    ...(row === undefined ? {} : { row }),
    requirement,
    description,
    outcome: outcomeOf(requirement, result),
    observed: result.observed.length > MAX_OBSERVED ? `${result.observed.slice(0, MAX_OBSERVED)}…` : result.observed,
    durationMs: Math.round(performance.now() - began),
  };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no verdict within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
