import {
  ChangeRejectedError,
  DifferentLeaderError,
  MembershipTimeoutError,
  NotLeaderError,
  ShuttingDownError,
  UnknownLeaderError,
  UnsupportedRequestError,
  UnsupportedRoleError,
} from '../membership/errors.js';
import { isAddress } from './address-cache.js';
import { BadRequestError, InvalidMessageError, RemoteError } from './errors.js';
import { MAX_WIRE_MESSAGE_BYTES, WireErrorCode, type ErrorResponse } from './messages.js';
import { utf8Shorten } from './utf8.js';

/** The error part of a response, as the server sends it. */
export type WireError = Omit<ErrorResponse, 'rid' | 'ok'>;

export { MAX_WIRE_MESSAGE_BYTES } from './messages.js';

/** The message sent for an error the server did not classify; its text stays in the server's log. */
export const INTERNAL_ERROR_MESSAGE = 'internal error';

/**
 * What the server sends for an error raised while handling a request.
 * Unclassified errors go out as `internal` without their text, which may
 * say more about the server than a peer should learn; a raft adapter that
 * wants its reason seen throws `ChangeRejectedError`.
 */
export function toWireError(err: Error): WireError {
  const message = wireMessage(err.message);
  if (err instanceof DifferentLeaderError) {
    // A leader address a client could not dial is no help: say "unknown" instead.
    if (isAddress(err.leader)) return { code: WireErrorCode.DifferentLeader, message, leader: err.leader };
    return { code: WireErrorCode.UnknownLeader, message: wireMessage(`${err.message} (not a dialable address)`) };
  }
  if (err instanceof UnknownLeaderError || err instanceof NotLeaderError) return { code: WireErrorCode.UnknownLeader, message };
  if (err instanceof MembershipTimeoutError) return { code: WireErrorCode.Timeout, message };
  if (err instanceof UnsupportedRoleError) return { code: WireErrorCode.UnsupportedRole, message };
  if (err instanceof ChangeRejectedError) return { code: WireErrorCode.Rejected, message };
  if (err instanceof UnsupportedRequestError) return { code: WireErrorCode.Unsupported, message };
  if (err instanceof ShuttingDownError) return { code: WireErrorCode.ShuttingDown, message };
  if (err instanceof InvalidMessageError) return { code: WireErrorCode.BadRequest, message };
  return { code: WireErrorCode.Internal, message: INTERNAL_ERROR_MESSAGE };
}

/** `text` as valid UTF-8 of at most {@link MAX_WIRE_MESSAGE_BYTES}. */
export function wireMessage(text: string): string {
  return utf8Shorten(text, MAX_WIRE_MESSAGE_BYTES);
}

/**
 * The library error a client raises for an error response; `role` is the
 * role the request asked for, named by `UnsupportedRoleError`.
 */
export function fromWireError(response: WireError, role = 'nonvoter'): Error {
  const { code, message } = response;
  switch (code) {
    case WireErrorCode.DifferentLeader:
      return new DifferentLeaderError(response.leader ?? '');
    case WireErrorCode.UnknownLeader:
      return new UnknownLeaderError();
    case WireErrorCode.Timeout:
      return new MembershipTimeoutError(`server timed out: ${message}`);
    case WireErrorCode.UnsupportedRole:
      return new UnsupportedRoleError(role);
    case WireErrorCode.Rejected:
      return new ChangeRejectedError(message);
    case WireErrorCode.Unsupported:
      return new UnsupportedRequestError(message);
    case WireErrorCode.ShuttingDown:
      return new ShuttingDownError(`server is shutting down: ${message}`);
    case WireErrorCode.BadRequest:
      return new BadRequestError(message);
    default:
      return new RemoteError(code, message);
  }
}
