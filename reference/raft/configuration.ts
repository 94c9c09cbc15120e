/**
 * Reference raft engine (not part of the published API): configurations and
 * the single-server changes between them (Ongaro's dissertation, ch. 4).
 */
import { ChangeRejectedError } from '../../src/membership/errors.js';
import type { ConfigurationServer } from '../../src/membership/raft.js';
import type { ServerAddress, ServerID, ServerRole } from '../../src/membership/types.js';

/** A configuration and the log index of the entry that holds it (0: none yet). */
export interface Configuration {
  readonly index: number;
  readonly servers: readonly ConfigurationServer[];
}

/** The configuration of a server that was neither bootstrapped nor joined. */
export const EMPTY_CONFIGURATION: Configuration = Object.freeze({ index: 0, servers: Object.freeze([]) });

/** A single-server change, as the `Raft` methods ask for it. */
export type Change =
  | { readonly op: 'add'; readonly id: ServerID; readonly address: ServerAddress; readonly role: ServerRole }
  | { readonly op: 'remove'; readonly id: ServerID };

/** The server `id` in `config`, if it is a member. */
export function findServer(config: Configuration, id: ServerID): ConfigurationServer | undefined {
  return config.servers.find((server) => server.id === id);
}

/** True when `id` is a voter of `config`. */
export function isVoter(config: Configuration, id: ServerID): boolean {
  return findServer(config, id)?.role === 'voter';
}

/**
 * Whether server `id` may stand for election. A voter of its latest
 * configuration may; so may a server whose latest configuration is its own
 * removal, not known to be committed (`latest.index > commitIndex`), while
 * it was a voter of the committed one: it may hold that entry when a
 * majority does not, and then the others need it (dissertation §4.1: a
 * candidate counts votes by its latest configuration, which need not
 * include itself). Non-voters and servers whose removal committed never
 * campaign.
 */
export function mayCampaign(id: ServerID, latest: Configuration, committed: Configuration, commitIndex: number): boolean {
  return isVoter(latest, id) || (latest.index > commitIndex && isVoter(committed, id));
}

/** The ids of `config`'s voters. */
export function voterIds(config: Configuration): ServerID[] {
  return config.servers.filter((server) => server.role === 'voter').map((server) => server.id);
}

/** True when the ids in `granted` make a majority of `config`'s voters. */
export function isQuorum(config: Configuration, granted: ReadonlySet<ServerID>): boolean {
  const voters = voterIds(config);
  const yes = voters.filter((id) => granted.has(id)).length;
  return voters.length > 0 && yes * 2 > voters.length;
}

/**
 * The highest index stored on a majority of `config`'s voters, given each
 * voter's match index; 0 for a configuration without voters. Only voters of
 * the latest configuration count, so a leader that removed itself does not.
 */
export function quorumMatchIndex(config: Configuration, matchIndex: (id: ServerID) => number): number {
  const matches = voterIds(config)
    .map(matchIndex)
    .sort((a, b) => b - a);
  return matches[Math.floor(matches.length / 2)] ?? 0;
}

/**
 * The servers of the configuration that `change` leads to, or `undefined`
 * when `config` already is that configuration (nothing to append). Throws
 * {@link ChangeRejectedError} for a change that can never succeed.
 *
 * Like hashicorp/raft, adding a non-voter never demotes an existing voter,
 * and adding a known id at a new address moves it there.
 */
export function planChange(config: Configuration, change: Change): ConfigurationServer[] | undefined {
  const known = findServer(config, change.id);
  if (change.op === 'remove') {
    if (!known) return undefined;
    const rest = config.servers.filter((server) => server.id !== change.id);
    if (known.role === 'voter' && !rest.some((server) => server.role === 'voter')) {
      throw new ChangeRejectedError(`cannot remove ${change.id}: it is the last voter`);
    }
    return rest;
  }
  const holder = config.servers.find((server) => server.address === change.address && server.id !== change.id);
  if (holder) {
    throw new ChangeRejectedError(`address ${change.address} is already used by server ${holder.id}, cannot add ${change.id}`);
  }
  const role = known?.role === 'voter' ? 'voter' : change.role;
  if (known && known.address === change.address && known.role === role) return undefined;
  const server: ConfigurationServer = { id: change.id, address: change.address, role };
  return known ? config.servers.map((s) => (s.id === change.id ? server : s)) : [...config.servers, server];
}
