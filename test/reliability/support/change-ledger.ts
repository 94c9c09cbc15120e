/**
 * Every join and leave a cluster fault test makes, with its outcome, and
 * the check that the cluster kept its word: a change reported successful
 * is in the committed configuration of a majority, one definitively
 * refused is not, one that timed out may be either (and is counted).
 */
import { ChangeRejectedError, MembershipError, MembershipTimeoutError, type ServerID } from '../../../src/index.js';
import { idsOf, type E2ECluster } from '../../e2e/support/e2e-cluster.js';

export type ChangeOp = 'join' | 'leave';
export type Verdict = 'ok' | 'refused' | 'ambiguous' | 'failed';

export interface ChangeRecord {
  readonly id: ServerID;
  readonly op: ChangeOp;
  readonly verdict: Verdict;
  readonly index?: number | undefined;
  readonly error?: unknown;
  readonly ms: number;
  readonly deadlineMs: number;
}

/** How late past its deadline a call may settle and still count as not hanging. */
export const SLACK_MS = 1_000;

function verdictOf(error: unknown): Verdict {
  if (error instanceof ChangeRejectedError) return 'refused';
  if (error instanceof MembershipTimeoutError) return 'ambiguous';
  return 'failed';
}

/** Describes an error as `CODE: message` for the reports. */
export function describeError(error: unknown): string {
  return error instanceof MembershipError ? `${error.code}: ${error.message}` : String(error);
}

export class ChangeLedger {
  /** In the order each call was made; calls on one id are made one after another. */
  readonly records: ChangeRecord[] = [];

  /** Runs `call` (a join or leave of `id` with `deadlineMs`) and records how it ended. */
  async run(id: ServerID, op: ChangeOp, deadlineMs: number, call: () => Promise<number | undefined>): Promise<ChangeRecord> {
    const started = performance.now();
    let record: ChangeRecord;
    try {
      const index = await call();
      record = { id, op, verdict: 'ok', index, ms: performance.now() - started, deadlineMs };
    } catch (error) {
      record = { id, op, verdict: verdictOf(error), error, ms: performance.now() - started, deadlineMs };
    }
    this.records.push(record);
    return record;
  }

  count(verdict: Verdict): number {
    return this.records.filter((r) => r.verdict === verdict).length;
  }

  /** Calls that failed with anything but a refusal or a timeout, or settled after their deadline + SLACK_MS. */
  misbehaved(): string[] {
    return this.records
      .filter((r) => r.verdict === 'failed' || r.ms > r.deadlineMs + SLACK_MS || (r.error !== undefined && !(r.error as Error).message))
      .map((r) => `${r.op} ${r.id}: ${r.verdict} after ${Math.round(r.ms)} ms (deadline ${r.deadlineMs}): ${describeError(r.error)}`);
  }

  /**
   * What each id's membership must be, from its calls in order: a success
   * decides it, a refusal leaves it as it was, a timeout makes it unknown
   * until a later success.
   */
  expected(): Map<ServerID, boolean | 'unknown'> {
    const state = new Map<ServerID, boolean | 'unknown'>();
    for (const r of this.records) {
      if (r.verdict === 'ok') state.set(r.id, r.op === 'join');
      else if (r.verdict !== 'refused') state.set(r.id, 'unknown');
      else if (!state.has(r.id)) state.set(r.id, false);
    }
    return state;
  }

  /**
   * Changes the cluster lost or made against a refusal: checked against
   * the committed configuration of every live voter, which a majority of
   * the final configuration's voters must share.
   */
  lost(cluster: E2ECluster, finalIds: readonly ServerID[]): string[] {
    const problems: string[] = [];
    const voters = new Set(finalIds);
    const holders = cluster.live().filter((m) => voters.has(m.id));
    for (const [id, want] of this.expected()) {
      if (want === 'unknown') continue;
      const agreeing = holders.filter((m) => idsOf(m.raft.committedConfiguration()).includes(id) === want);
      if (agreeing.length * 2 <= voters.size || finalIds.includes(id) !== want) {
        problems.push(`${id} should ${want ? '' : 'not '}be a member: committed so on ${agreeing.map((m) => m.id).join(',') || 'no one'} of ${[...voters].join(',')}`);
      }
    }
    return problems;
  }

  /** One line of figures for the logs and docs. */
  figures(lost: number): string {
    return `${this.records.length} changes attempted: ${this.count('ok')} succeeded, ${this.count('refused')} refused, ${this.count('ambiguous')} ambiguous, ${this.count('failed')} failed otherwise, ${lost} lost`;
  }
}
