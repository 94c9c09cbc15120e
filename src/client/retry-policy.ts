import { ChangeRejectedError, DifferentLeaderError, MembershipTimeoutError, ShuttingDownError, UnknownLeaderError } from '../membership/errors.js';
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
 * Whether a failed try says the server itself is missing (down, closing,
 * overloaded, unreachable) rather than answering: such a server is tried
 * last for a while.
 */
export function isServerMissing(err: unknown): boolean {
  if (err instanceof ConnectionClosedError || err instanceof ShuttingDownError) return true;
  if (err instanceof HandshakeRefusedError) return err.status === ReplyStatus.Busy || err.status === ReplyStatus.ShuttingDown;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

/**
 * Whether a failed attempt is worth another try within the call's deadline:
 * no leader known yet (or redirects going round), a server timing out or shutting down (the change is
 * idempotent, so resending is safe), a busy server, a lost connection.
 * Everything else (a refusal by the cluster, a bad request, a wrong secret
 * or cluster name) is final.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof ChangeRejectedError) return false;
  // A redirect not followed (a loop, a long chain) means an election is under way.
  if (err instanceof UnknownLeaderError || err instanceof DifferentLeaderError || err instanceof MembershipTimeoutError) return true;
  if (err instanceof ConnectionClosedError) return true;
  if (err instanceof ShuttingDownError) return true;
  if (err instanceof HandshakeRefusedError) return err.status === ReplyStatus.Busy || err.status === ReplyStatus.ShuttingDown;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}
