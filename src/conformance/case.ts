/**
 * What a conformance case is and what running one yields. Cases are data: a
 * stable name, the rule of docs/wire-format.md it checks (section, row, key
 * word) and a run function that says what it saw.
 */

/** How binding the rule a case checks is, in RFC 2119's words. */
export const Requirement = {
  /** Failing it is a conformance failure. */
  Must: 'MUST',
  /** Failing it is allowed, but reported (NON-STRICT). */
  Should: 'SHOULD',
  /** Either way is conformant: the case records what it saw. */
  May: 'MAY',
} as const;

/** One of {@link Requirement}'s values. */
export type Requirement = (typeof Requirement)[keyof typeof Requirement];

/** The verdict on one case, as Autobahn|Testsuite names them (plus SKIPPED). */
export const Outcome = {
  /** The implementation does what the rule asks. */
  Ok: 'OK',
  /** A SHOULD is not met. */
  NonStrict: 'NON-STRICT',
  /** A MAY: what the implementation does is recorded, never judged. */
  Informational: 'INFORMATIONAL',
  /** A MUST is not met. */
  Failed: 'FAILED',
  /** Not run: it needs an option (or the target's cooperation) it was not given. */
  Skipped: 'SKIPPED',
} as const;

/** One of {@link Outcome}'s values. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** The result of one case. */
export interface ConformanceCaseResult {
  /** The case's stable name, e.g. `hello.bad-magic`. */
  readonly name: string;
  /** The section of docs/wire-format.md it checks, e.g. `§2`. */
  readonly section: string;
  /** The row of that section's table, when the rule is one (e.g. `6`). */
  readonly row?: string;
  /** MUST, SHOULD or MAY. */
  readonly requirement: Requirement;
  /** What the case does and what the rule expects. */
  readonly description: string;
  /** The verdict. */
  readonly outcome: Outcome;
  /** What the implementation did (or why the case was skipped). */
  readonly observed: string;
  /** How long the case took, in milliseconds. */
  readonly durationMs: number;
}

/** Counts of each outcome. */
export interface ConformanceSummary {
  /** Cases run. */
  readonly total: number;
  /** OK. */
  readonly ok: number;
  /** NON-STRICT. */
  readonly nonStrict: number;
  /** INFORMATIONAL. */
  readonly informational: number;
  /** FAILED. */
  readonly failed: number;
  /** SKIPPED. */
  readonly skipped: number;
}

/** A whole run against one implementation. */
export interface ConformanceReport {
  /** Which side was tested: a server (`conformance server`) or a dialer (`conformance client`). */
  readonly side: 'server' | 'client';
  /** The server address, or the dialer command, tested. */
  readonly subject: string;
  /** When the run began (ISO 8601). */
  readonly startedAt: string;
  /** How long it took, in milliseconds. */
  readonly durationMs: number;
  /** Every case, in the kit's order. */
  readonly results: readonly ConformanceCaseResult[];
  /** Counts by outcome. */
  readonly summary: ConformanceSummary;
  /** True when no case FAILED (no MUST is broken). */
  readonly passed: boolean;
  /** What the run did beside the cases: changes made and undone, what it could not tell. */
  readonly notes: readonly string[];
}

/** What a case's run function says. */
export type Verdict =
  | { readonly kind: 'pass'; readonly observed: string }
  | { readonly kind: 'fail'; readonly observed: string }
  | { readonly kind: 'skip'; readonly observed: string };

/** The rule was followed; `observed` says how. */
export const pass = (observed: string): Verdict => ({ kind: 'pass', observed });
/** The rule was broken; `observed` says how. */
export const fail = (observed: string): Verdict => ({ kind: 'fail', observed });
/** The case could not run; `observed` says what it needs. */
export const skip = (observed: string): Verdict => ({ kind: 'skip', observed });
/** `ok` ? pass : fail, with one text. */
export const verdict = (ok: boolean, observed: string): Verdict => ({ kind: ok ? 'pass' : 'fail', observed });

/** One case, run with a context `C` (the target, or the dialer and a scripted server). */
export interface CaseDefinition<C> {
  /** Stable across releases: tools and skip lists refer to it. */
  readonly name: string;
  /** The section of docs/wire-format.md, e.g. `§6`. */
  readonly section: string;
  /** The row of the section's table, when the rule is one. */
  readonly row?: string;
  readonly requirement: Requirement;
  /** What is sent and what the rule expects, in one or two sentences. */
  readonly description: string;
  /**
   * What the case needs that the kit cannot assume (an option, a server
   * that cooperates), shown in the case list; the run function skips
   * itself when it is missing.
   */
  readonly needs?: string;
  run(context: C): Promise<Verdict>;
}

/** The outcome of a verdict for a rule of `requirement`. */
export function outcomeOf(requirement: Requirement, result: Verdict): Outcome {
  if (result.kind === 'skip') return Outcome.Skipped;
  if (requirement === Requirement.May) return Outcome.Informational;
  if (result.kind === 'pass') return Outcome.Ok;
  return requirement === Requirement.Must ? Outcome.Failed : Outcome.NonStrict;
}

/** Counts of each outcome in `results`. */
export function summarize(results: readonly ConformanceCaseResult[]): ConformanceSummary {
  const count = (outcome: Outcome): number => results.filter((r) => r.outcome === outcome).length;
  return {
    total: results.length,
    ok: count(Outcome.Ok),
    nonStrict: count(Outcome.NonStrict),
    informational: count(Outcome.Informational),
    failed: count(Outcome.Failed),
    skipped: count(Outcome.Skipped),
  };
}
