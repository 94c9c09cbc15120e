import type { ServerAddress, ServerID, ServerRole } from './types.js';

/** Per-call options of a {@link Changer}; a bare number means `{ timeoutMs }`. */
export interface ChangeOptions {
  /** The deadline for the whole operation, dialing and redirects included, in milliseconds (at least 100). */
  readonly timeoutMs: number;
  /** Cancels the call; it then rejects with an `AbortError` whose `cause` is `signal.reason`. */
  readonly signal?: AbortSignal;
  /** The role a joining server asks for. @default 'voter' */
  readonly role?: ServerRole;
}

/**
 * How a raft server asks a cluster to change its membership (Go: `Changer`).
 * `target` is the server to contact (one address, or seeds tried in turn);
 * the implementation follows redirects to the leader. Both resolve once the
 * change is committed, to the configuration's log index when the cluster
 * reported one.
 */
export interface Changer {
  /** Asks the cluster to add server `id`. */
  join(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined>;
  /** Asks the cluster to remove server `id`. */
  leave(id: ServerID, target: ServerAddress | readonly ServerAddress[], timeout: number | ChangeOptions): Promise<number | undefined>;
}
