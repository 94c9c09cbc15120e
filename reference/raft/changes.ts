/**
 * Reference raft engine (not part of the published API): membership changes
 * on the leader, one at a time (dissertation ch. 4, as hashicorp/raft does
 * them).
 */
import { ChangeRejectedError, MembershipTimeoutError } from '../../src/membership/errors.js';
import type { ConfigurationServer } from '../../src/membership/raft.js';
import type { ServerAddress, ServerID } from '../../src/membership/types.js';
import { isVoter, planChange, type Change, type Configuration } from './configuration.js';
import { MAX_ENTRY_BYTES, entryBytes } from './limits.js';
import { EntryKind } from './log.js';

/** How many catch-up rounds a joining voter gets (§4.2.1). */
export const MAX_CATCH_UP_ROUNDS = 10;

/**
 * Election timeouts a joining voter may go without answering (from the
 * start of its catch-up, then from its last answer) before the change is
 * refused. Every request to it is cut off after one election timeout
 * anyway, so a server this silent cannot be catching up; and while the
 * catch-up lasts, every other change waits behind it.
 */
export const CATCH_UP_SILENCE_TIMEOUTS = 2;

/** Ends one wait for a joining voter, to look at how long it has been silent; never seen outside this file. */
const SILENCE_CHECK = new Error('catch-up silence check');

/** How a joining voter's catch-up is going. */
export interface CatchUpProgress {
  /** The end of what it is known to hold. */
  matchIndex(): number;
  /** `performance.now()` of its last answer, or of the start of the catch-up. */
  lastContact(): number;
  /** Why the last try to reach it failed, if it did. */
  lastFailure(): unknown;
}

/** What the change queue needs from its node. Deadlines are `performance.now()` values. */
export interface ChangeHost {
  readonly id: ServerID;
  readonly electionTimeoutMs: number;
  /**
   * Waits until this node is leader, has committed an entry of its own term
   * (its no-op) and has no uncommitted configuration; resolves to the term.
   */
  waitReady(deadline: number): Promise<number>;
  latest(): Configuration;
  lastIndex(): number;
  commitIndex(): number;
  /** Starts replicating to a server outside the configuration; `matchIndex` reads its progress. */
  stage(term: number, id: ServerID, address: ServerAddress): CatchUpProgress;
  /** Ends `stage`; replication goes on if the server is now in the configuration. */
  unstage(id: ServerID): void;
  /** Resolves once `check()` holds; throws NotLeaderError once this node no longer leads in `term`. */
  /** Waits for `check` as leader of `term`; on close rejects with `onClosed()` (default: nothing was changed). */
  waitUntil(term: number, check: () => boolean, deadline: number, onTimeout: () => Error, onClosed?: () => Error): Promise<void>;
  /** Appends a configuration entry as leader of `term` (it takes effect at once); resolves to its index. */
  appendConfiguration(term: number, servers: readonly ConfigurationServer[]): number;
  /** Hands leadership to an up-to-date voter and steps down: called once this leader's removal has committed. */
  handOff(term: number, deadline: number): Promise<void>;
}

/**
 * Runs `addVoter`/`addNonvoter`/`removeServer` in arrival order: a change
 * waits for the one before it to finish (commit or fail) rather than
 * failing, and the time spent waiting counts against its own timeout.
 */
export class ChangeQueue {
  readonly #host: ChangeHost;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(host: ChangeHost) {
    this.#host = host;
  }

  /**
   * Resolves to the index of the committed configuration that holds the
   * change (the current one when nothing had to change).
   */
  run(change: Change, prevIndex: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    const task = this.#tail.then(() => this.#execute(change, prevIndex, deadline, timeoutMs));
    this.#tail = task.catch(() => undefined);
    return task;
  }

  async #execute(change: Change, prevIndex: number, deadline: number, timeoutMs: number): Promise<number> {
    const host = this.#host;
    const term = await host.waitReady(deadline);
    const latest = host.latest();
    if (prevIndex !== 0 && latest.index !== prevIndex) {
      throw new ChangeRejectedError(`configuration changed since index ${prevIndex}: it is now at index ${latest.index}`);
    }
    const servers = planChange(latest, change);
    if (!servers) return latest.index;
    const bytes = entryBytes({ index: host.lastIndex() + 1, term, kind: EntryKind.Configuration, servers });
    if (bytes > MAX_ENTRY_BYTES) {
      throw new ChangeRejectedError(`the configuration would take ${bytes} bytes, over the ${MAX_ENTRY_BYTES}-byte entry limit; nothing was changed`);
    }
    const joiningVoter =
      change.op === 'add' && change.id !== host.id && servers.some((s) => s.id === change.id && s.role === 'voter') && !isVoter(latest, change.id);
    let index: number;
    try {
      if (joiningVoter) await this.#catchUp(term, change.id, change.address, deadline, timeoutMs);
      index = host.appendConfiguration(term, servers);
    } finally {
      if (joiningVoter) host.unstage(change.id);
    }
    const described = change.op === 'add' ? `adding ${change.id}` : `removing ${change.id}`;
    await host.waitUntil(
      term,
      () => host.commitIndex() >= index,
      deadline,
      () => new MembershipTimeoutError(`configuration entry ${index} (${described}) not committed within ${timeoutMs} ms; it may still commit`),
      // Appended: the next leader may commit it, so closing must not say "not made".
      () => new MembershipTimeoutError(`raft node closed before configuration entry ${index} (${described}) committed; it may still commit`),
    );
    if (!isVoter(host.latest(), host.id)) await host.handOff(term, deadline);
    return index;
  }

  /**
   * Replicates to the joining server in rounds, each up to the log's end
   * when it began, until a round takes less than an election timeout. Until
   * then nothing is appended, so a dead or slow server never stalls the
   * cluster: the change is refused instead, as soon as the server has been
   * silent for {@link CATCH_UP_SILENCE_TIMEOUTS} election timeouts (a wrong
   * or dead address, or a peer that accepts the stream and never answers),
   * since the changes behind it wait meanwhile.
   */
  async #catchUp(term: number, id: ServerID, address: ServerAddress, deadline: number, timeoutMs: number): Promise<void> {
    const host = this.#host;
    const progress = host.stage(term, id, address);
    for (let round = 1; round <= MAX_CATCH_UP_ROUNDS; round += 1) {
      const target = host.lastIndex();
      const started = performance.now();
      await this.#waitForMatch(term, progress, target, deadline, () => {
        const behind = `(round ${round}, at ${progress.matchIndex()} of ${target})`;
        return new ChangeRejectedError(`server ${id} at ${address} did not catch up with the log within ${timeoutMs} ms ${behind}; nothing was changed`);
      }, (silentMs) => {
        const failure = progress.lastFailure();
        const why = failure instanceof Error ? `: ${failure.message}` : '';
        return new ChangeRejectedError(`server ${id} at ${address} did not catch up with the log: no answer from it for ${Math.round(silentMs)} ms${why}; nothing was changed`);
      });
      if (performance.now() - started < host.electionTimeoutMs) return;
    }
    throw new ChangeRejectedError(`server ${id} at ${address} was still behind after ${MAX_CATCH_UP_ROUNDS} catch-up rounds; nothing was changed`);
  }

  /**
   * Waits until the joining server holds `target`; throws `onTimeout()` at
   * the deadline, or `onSilence(ms)` once it has not answered for
   * {@link CATCH_UP_SILENCE_TIMEOUTS} election timeouts.
   */
  async #waitForMatch(term: number, progress: CatchUpProgress, target: number, deadline: number, onTimeout: () => Error, onSilence: (silentMs: number) => Error): Promise<void> {
    const host = this.#host;
    const silenceMs = CATCH_UP_SILENCE_TIMEOUTS * host.electionTimeoutMs;
    for (;;) {
      const wakeAt = Math.min(deadline, progress.lastContact() + silenceMs);
      const matched = await host.waitUntil(term, () => progress.matchIndex() >= target, wakeAt, () => SILENCE_CHECK).then(
        () => true,
        (err: unknown) => {
          if (err !== SILENCE_CHECK) throw err;
          return false;
        },
      );
      if (matched) return;
      const now = performance.now();
      if (now >= deadline) throw onTimeout();
      const silentMs = now - progress.lastContact();
      if (silentMs >= silenceMs) throw onSilence(silentMs);
      // It answered meanwhile without catching up yet: its silence counts from that answer.
    }
  }
}
