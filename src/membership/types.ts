/** The stable identity of a raft server, as in hashicorp/raft's `ServerID`. */
export type ServerID = string;

/**
 * A raft server's network address, `"host:port"`; an IPv6 host is written
 * in brackets (`"[::1]:7000"`).
 */
export type ServerAddress = string;

/** How a server takes part in the cluster once it has joined. */
export const ServerRole = {
  /** Counts in elections and in the commit quorum. */
  Voter: 'voter',
  /** Receives the log but neither votes nor counts towards a quorum. */
  Nonvoter: 'nonvoter',
} as const;

/** `'voter'` or `'nonvoter'`. */
export type ServerRole = (typeof ServerRole)[keyof typeof ServerRole];

/** True for the two role names this library knows. */
export function isServerRole(value: unknown): value is ServerRole {
  return value === ServerRole.Voter || value === ServerRole.Nonvoter;
}
