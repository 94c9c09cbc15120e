import {
  ChangeRejectedError,
  DifferentLeaderError,
  MembershipTimeoutError,
  NotLeaderError,
  ShuttingDownError,
  UnknownLeaderError,
  UnsupportedRoleError,
} from '../membership/errors.js';
import { BadRequestError, InvalidMessageError, RemoteError } from './errors.js';
import { WireErrorCode, type ErrorResponse } from './messages.js';

/** The error part of a response, as the server sends it. */
export type WireError = Omit<ErrorResponse, 'rid' | 'ok'>;

/** What the server sends for an error raised while handling a request. */
export function toWireError(err: Error): WireError {
  const message = err.message;
  if (err instanceof DifferentLeaderError) return { code: WireErrorCode.DifferentLeader, message, leader: err.leader };
  if (err instanceof UnknownLeaderError || err instanceof NotLeaderError) return { code: WireErrorCode.UnknownLeader, message };
  if (err instanceof MembershipTimeoutError) return { code: WireErrorCode.Timeout, message };
  if (err instanceof UnsupportedRoleError) return { code: WireErrorCode.UnsupportedRole, message };
  if (err instanceof ChangeRejectedError) return { code: WireErrorCode.Rejected, message };
  if (err instanceof ShuttingDownError) return { code: WireErrorCode.ShuttingDown, message };
  if (err instanceof InvalidMessageError) return { code: WireErrorCode.BadRequest, message };
  return { code: WireErrorCode.Internal, message };
}

/** The library error a client raises for an error response. */
export function fromWireError(response: WireError): Error {
  const { code, message } = response;
  switch (code) {
    case WireErrorCode.DifferentLeader:
      return new DifferentLeaderError(response.leader ?? '');
    case WireErrorCode.UnknownLeader:
      return new UnknownLeaderError();
    case WireErrorCode.Timeout:
      return new MembershipTimeoutError(`server timed out: ${message}`);
    case WireErrorCode.UnsupportedRole:
      return new UnsupportedRoleError(/as (\S+)$/.exec(message)?.[1] ?? 'nonvoter');
    case WireErrorCode.Rejected:
      return new ChangeRejectedError(message);
    case WireErrorCode.ShuttingDown:
      return new ShuttingDownError(`server is shutting down: ${message}`);
    case WireErrorCode.BadRequest:
      return new BadRequestError(message);
    default:
      return new RemoteError(code, message);
  }
}
