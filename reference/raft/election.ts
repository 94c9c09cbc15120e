/**
 * Reference raft engine (not part of the published API): counting votes.
 */
import type { ServerID } from '../../src/membership/types.js';
import { isQuorum, voterIds, type Configuration } from './configuration.js';
import type { RequestVoteResult } from './messages.js';

/**
 * Asks every voter of `config` but `self` (whose vote counts as given) with
 * `ask`, and resolves to true as soon as a majority granted, or to false as
 * soon as a majority can no longer be reached. A failed `ask` (unreachable
 * peer) counts as a refusal; `onResult` sees every answer, so the caller can
 * step down on a higher term. Bounded by `ask`'s own timeouts.
 */
export function collectVotes(
  config: Configuration,
  self: ServerID,
  ask: (id: ServerID) => Promise<RequestVoteResult>,
  onResult: (result: RequestVoteResult) => void,
): Promise<boolean> {
  const voters = voterIds(config);
  const granted = new Set<ServerID>();
  if (voters.includes(self)) granted.add(self);
  const others = voters.filter((id) => id !== self);
  let refused = 0;
  return new Promise<boolean>((resolve) => {
    const decide = (): void => {
      if (isQuorum(config, granted)) resolve(true);
      else if ((voters.length - refused) * 2 <= voters.length) resolve(false);
      else if (granted.size + refused === voters.length) resolve(false);
    };
    for (const id of others) {
      ask(id).then(
        (result) => {
          onResult(result);
          if (result.granted) granted.add(id);
          else refused += 1;
          decide();
        },
        () => {
          refused += 1;
          decide();
        },
      );
    }
    decide();
  });
}
