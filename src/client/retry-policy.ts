import { ChangeRejectedError, MembershipTimeoutError, ShuttingDownError, UnknownLeaderError } from '../membership/errors.js';
import { ConnectionClosedError, HandshakeRefusedError } from '../protocol/errors.js';
import { ReplyStatus } from '../protocol/preamble.js';

/** System errors of a connection that another try, maybe at another server, can get past. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * Whether a failed attempt is worth another try within the call's deadline:
 * no leader known yet, a server timing out or shutting down (the change is
 * idempotent, so resending is safe), a busy server, a lost connection.
 * Everything else (a refusal by the cluster, a bad request, a wrong secret
 * or cluster name) is final.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ChangeRejectedError) return false;
  if (err instanceof UnknownLeaderError || err instanceof MembershipTimeoutError) return true;
  if (err instanceof ConnectionClosedError) return true;
  if (err instanceof ShuttingDownError) return true;
  if (err instanceof HandshakeRefusedError) return err.status === ReplyStatus.Busy || err.status === ReplyStatus.ShuttingDown;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}
