import { MembershipTimeoutError, UnsupportedRequestError } from './errors.js';
import { redirect, translate } from './translate.js';
import type { ConfigurationServer, Raft, RaftConfiguration } from './raft.js';

/** The part of a {@link Raft} that answers `members` requests. */
export type ConfigurationSource = Pick<Raft, 'state' | 'leader' | 'configuration'>;

/** A cluster's configuration as a leader reported it. */
export interface ClusterConfiguration {
  /** The log index of this configuration, when the raft reports one. */
  readonly index?: number;
  /** Every server of the configuration, voters and non-voters. */
  readonly members: readonly ConfigurationServer[];
}

/**
 * The configuration as the leader knows it. Like a change, it is answered
 * by the leader only: elsewhere it fails with `DifferentLeaderError` (or
 * `UnknownLeaderError` during an election), so that a client reads the
 * configuration that the next change will start from; this holds even when
 * `raft` has no `configuration()`, since it still knows who leads. On the
 * leader it fails with `UnsupportedRequestError` when `raft` has no
 * `configuration()`, and with `MembershipTimeoutError` when it does not
 * answer within `timeoutMs`.
 */
export async function readConfiguration(raft: ConfigurationSource, timeoutMs: number): Promise<ClusterConfiguration> {
  let timer: NodeJS.Timeout | undefined;
  try {
    if (raft.state() !== 'leader') throw redirect(raft);
    if (!raft.configuration) throw new UnsupportedRequestError('this server\'s raft does not report its configuration');
    const read = raft.configuration();
    // Most rafts answer from memory: no timer for those.
    const answer = !isThenable(read)
      ? read
      : await Promise.race([
          read,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new MembershipTimeoutError(`configuration not read within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
    return isRaftConfiguration(answer) ? { index: answer.index, members: answer.servers } : { members: answer };
  } catch (caught) {
    throw translate(raft, caught);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isRaftConfiguration(answer: readonly ConfigurationServer[] | RaftConfiguration): answer is RaftConfiguration {
  return !Array.isArray(answer);
}
