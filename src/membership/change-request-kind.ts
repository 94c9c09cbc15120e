import { invalidOption } from './option-checks.js';

/** The kind of membership change being requested (Go: `ChangeRequestKind`). */
export const ChangeRequestKind = {
  /** Add the requesting server to the cluster (Go: `JoinRequest`). */
  Join: 0,
  /** Remove the requesting server from the cluster (Go: `LeaveRequest`). */
  Leave: 1,
} as const;

/** `ChangeRequestKind.Join` or `ChangeRequestKind.Leave`. */
export type ChangeRequestKind = (typeof ChangeRequestKind)[keyof typeof ChangeRequestKind];

/** `'join'` or `'leave'`: the kind's name, as Go's `String()` gives it. Throws `InvalidOptionError` for another value. */
export function kindName(kind: ChangeRequestKind): 'join' | 'leave' {
  switch (kind) {
    case ChangeRequestKind.Join:
      return 'join';
    case ChangeRequestKind.Leave:
      return 'leave';
    default:
      throw invalidOption('kind', 'ChangeRequestKind.Join (0) or ChangeRequestKind.Leave (1)', kind);
  }
}
