import type { ServerAddress, ServerID } from './types.js';

/** A raft server's state, as hashicorp/raft names them. */
export type RaftState = 'follower' | 'candidate' | 'leader' | 'shutdown';

/** One server of a raft configuration. */
export interface ConfigurationServer {
  /** The server's raft id. */
  readonly id: ServerID;
  /** Its raft address. */
  readonly address: ServerAddress;
  /** Whether it votes. */
  readonly role: 'voter' | 'nonvoter';
}

/**
 * A configuration with the log index it was read at, for a
 * {@link Raft.configuration} that knows it (hashicorp/raft's
 * `GetConfiguration().Index()`).
 */
export interface RaftConfiguration {
  /** The log index of the configuration. */
  readonly index: number;
  /** Its servers. */
  readonly servers: readonly ConfigurationServer[];
}

/**
 * The part of a raft instance that membership needs, modeled on
 * hashicorp/raft. Adapt your raft library to it.
 *
 * The change methods resolve once the new configuration is committed, to
 * its log index when the library reports one. They must throw
 * {@link NotLeaderError} when leadership is lost before the change commits
 * and {@link ChangeRejectedError} for a change that can never succeed.
 * Peers are told what these errors say, so say only what is true: throw
 * {@link ShuttingDownError} (on the wire: "the change was not made") only
 * for a change that was never appended to the log; one appended but not
 * yet committed when raft stops or times out may still commit, so throw
 * {@link MembershipTimeoutError} ("outcome unknown") for it.
 * Changes must be idempotent, as clients retry them (docs/wire-format.md
 * §8): removing an id that is not in the configuration, or adding one that
 * is already there at the same address with the same role, succeeds without
 * a change, resolving to the current configuration's index.
 *
 * A join changes a server's role one way only, as hashicorp/raft does:
 * `addVoter` of a non-voter promotes it (hashicorp/raft's `AddVoter`,
 * etcd's `member promote`), and `addNonvoter` of a voter leaves it a voter
 * (hashicorp/raft's `AddNonvoter` never demotes), succeeding without a
 * change. To demote a voter, remove it and add it back as a non-voter.
 */
export interface Raft {
  /** The server's current state. */
  state(): RaftState;
  /** The leader's address as this server knows it, `''` when unknown. */
  leader(): ServerAddress;
  /**
   * Adds `id` at `address` as a voter, or promotes it to one if it is a
   * non-voter. `prevIndex` 0 means "whatever the configuration"; otherwise
   * the change fails if the configuration's index is no longer `prevIndex`.
   */
  addVoter(id: ServerID, address: ServerAddress, prevIndex: number, timeoutMs: number): Promise<void | number>;
  /**
   * Adds `id` at `address` as a non-voter, where the library supports it. A
   * server that is already a voter stays one: this succeeds without a
   * change (at a new address, it moves there and stays a voter).
   */
  addNonvoter?(id: ServerID, address: ServerAddress, prevIndex: number, timeoutMs: number): Promise<void | number>;
  /** Removes `id` from the configuration. */
  removeServer(id: ServerID, prevIndex: number, timeoutMs: number): Promise<void | number>;
  /**
   * The latest configuration as this server knows it, where supported:
   * the servers, or the servers with the configuration's log index. Every
   * server, this one included, needs the `host:port` address it was
   * joined with: a client refuses an answer with an address it cannot
   * dial (such as `''`) as a bad response. A
   * `MembershipServer` whose requests `handleChangeRequests` applies to this
   * raft answers `members` requests with it (on the leader; the other
   * servers redirect them).
   */
  configuration?():
    | readonly ConfigurationServer[]
    | RaftConfiguration
    | Promise<readonly ConfigurationServer[] | RaftConfiguration>;
}
