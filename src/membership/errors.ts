import type { ServerAddress } from './types.js';

/**
 * The base of every error this library raises. `code` is stable across
 * releases: match on it, not on the message.
 */
export abstract class MembershipError extends Error {
  /** A stable code naming the condition, `ERR_…`: match on it, not on the message. */
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The server asked is not the leader, but knows who is (Go:
 * `ErrDifferentLeader`). Retry against `leader`.
 */
export class DifferentLeaderError extends MembershipError {
  /** Stable across releases: `ERR_DIFFERENT_LEADER`. */
  readonly code = 'ERR_DIFFERENT_LEADER';

  constructor(
    /** The leader's address, as the refusing server knows it. */
    readonly leader: ServerAddress,
    options?: ErrorOptions,
  ) {
    super(`node is not leader, current leader at: ${leader}`, options);
  }
}

/**
 * The server asked is not the leader and does not know who is, typically
 * during an election (Go: `ErrUnknownLeader`). Retry after a short while.
 */
export class UnknownLeaderError extends MembershipError {
  /** Stable across releases: `ERR_UNKNOWN_LEADER`. */
  readonly code = 'ERR_UNKNOWN_LEADER';

  constructor(options?: ErrorOptions) {
    super('node is not leader, current leader unknown', options);
  }
}

/**
 * Where a client call stood when its deadline passed: `dialing` (no TCP
 * connection yet), `preamble` (connected; TLS, cluster name or secret not
 * done), `waiting` (the request was sent; no answer), `backing-off`
 * (between tries, after a failure worth retrying).
 */
export type CallStage = 'dialing' | 'preamble' | 'waiting' | 'backing-off';

/**
 * A bounded wait ran out. For a change sent to a cluster the outcome is then
 * unknown: the change may still commit. Retrying the same join or leave is
 * safe. From a client call, the message names the stage and the server
 * (also in `stage` and `target`), and `cause` is the last failure a server
 * reported (e.g. `UnknownLeaderError`, `ShuttingDownError`), else the last
 * failure of the connection, if any; a redirect that was followed is never
 * the cause.
 */
export class MembershipTimeoutError extends MembershipError {
  /** Stable across releases: `ERR_MEMBERSHIP_TIMEOUT`. */
  readonly code = 'ERR_MEMBERSHIP_TIMEOUT';
  /** Where the client call stood when it ran out of time; absent for other waits. */
  declare readonly stage?: CallStage;
  /** The server the client call was dealing with then. */
  declare readonly target?: ServerAddress;

  constructor(message = 'membership change timed out', options?: ErrorOptions & { readonly stage?: CallStage; readonly target?: ServerAddress }) {
    super(message, options);
    // Set only when known, so that a timeout of another wait has no such keys.
    if (options?.stage !== undefined) Object.defineProperty(this, 'stage', { value: options.stage, enumerable: true });
    if (options?.target !== undefined) Object.defineProperty(this, 'target', { value: options.target, enumerable: true });
  }
}

/**
 * What a `Raft` adapter throws when it is asked to change the configuration
 * but is not (or is no longer) the leader.
 */
export class NotLeaderError extends MembershipError {
  /** Stable across releases: `ERR_NOT_LEADER`. */
  readonly code = 'ERR_NOT_LEADER';

  constructor(message = 'raft node is not the leader', options?: ErrorOptions) {
    super(message, options);
  }
}

/** A join asked for a role the cluster's raft cannot give (no `addNonvoter`). */
export class UnsupportedRoleError extends MembershipError {
  /** Stable across releases: `ERR_UNSUPPORTED_ROLE`. */
  readonly code = 'ERR_UNSUPPORTED_ROLE';

  constructor(
    /** The role asked for. */
    readonly role: string,
    options?: ErrorOptions,
  ) {
    super(`this cluster cannot add a server as ${role}`, options);
  }
}

/**
 * Raft definitively refused the change (an address already taken by another
 * id, a stale `prevIndex`, a server that never caught up). Retrying the same
 * request will not help.
 */
export class ChangeRejectedError extends MembershipError {
  /** Stable across releases: `ERR_CHANGE_REJECTED`. */
  readonly code = 'ERR_CHANGE_REJECTED';
}

/**
 * The server cannot answer this kind of request: a `members` request to a
 * server whose raft does not report its configuration (no
 * `Raft.configuration()`), or that serves none. Retrying will not help.
 */
export class UnsupportedRequestError extends MembershipError {
  /** Stable across releases: `ERR_UNSUPPORTED_REQUEST`. */
  readonly code = 'ERR_UNSUPPORTED_REQUEST';
}

/** `ChangeRequest.done()` was called a second time. */
export class RequestAlreadyDoneError extends MembershipError {
  /** Stable across releases: `ERR_REQUEST_ALREADY_DONE`. */
  readonly code = 'ERR_REQUEST_ALREADY_DONE';

  constructor() {
    super('change request is already done');
  }
}

/** The server or client is closing or closed; the request was not carried out. */
export class ShuttingDownError extends MembershipError {
  /** Stable across releases: `ERR_SHUTTING_DOWN`. */
  readonly code = 'ERR_SHUTTING_DOWN';

  constructor(message = 'shutting down', options?: ErrorOptions) {
    super(message, options);
  }
}

/** An option given to a constructor or function is out of its range. */
export class InvalidOptionError extends MembershipError {
  /** Stable across releases: `ERR_INVALID_OPTION`. */
  readonly code = 'ERR_INVALID_OPTION';
}

/** A string is not a `"host:port"` server address. */
export class InvalidAddressError extends MembershipError {
  /** Stable across releases: `ERR_INVALID_ADDRESS`. */
  readonly code = 'ERR_INVALID_ADDRESS';

  constructor(
    /** The string that is not an address. */
    readonly address: string,
    /** What is wrong with it, without the address itself (which may be long). */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`invalid server address ${JSON.stringify(address)}: ${reason}`, options);
  }
}

/**
 * `listen()` was called on a server that is already listening, or is
 * starting to (Node's `ERR_SERVER_ALREADY_LISTEN`).
 */
export class ServerAlreadyListeningError extends MembershipError {
  /** Stable across releases: `ERR_SERVER_ALREADY_LISTEN`, as Node names it. */
  readonly code = 'ERR_SERVER_ALREADY_LISTEN';

  constructor(message = 'server is already listening: call listen() once', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The server is not listening: `address()` was called before `listen()`
 * resolved (Node's `ERR_SERVER_NOT_RUNNING`).
 */
export class ServerNotRunningError extends MembershipError {
  /** Stable across releases: `ERR_SERVER_NOT_RUNNING`, as Node names it. */
  readonly code = 'ERR_SERVER_NOT_RUNNING';

  constructor(message = 'server is not listening: await listen() first', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The caller's `AbortSignal` fired: the call gave up without an outcome (a
 * change may still commit). As in Node core (`timers/promises`, `fs`):
 * `name` is `'AbortError'`, `code` is `'ABORT_ERR'`, and `cause` is the
 * signal's `reason`.
 */
export class AbortError extends MembershipError {
  /** Stable across releases: `ABORT_ERR`, as Node core's aborts. */
  readonly code = 'ABORT_ERR';

  constructor(message = 'The operation was aborted', options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * The conformance kit could not test its subject at all: the target
 * refused or never completed the preamble, or the dialer command could not
 * be started. No case ran.
 */
export class ConformanceSetupError extends MembershipError {
  /** Stable across releases: `ERR_CONFORMANCE_SETUP`. */
  readonly code = 'ERR_CONFORMANCE_SETUP';
}
