import { MembershipError } from '../membership/errors.js';

/**
 * The peer broke the protocol. The connection it came on is closed: a byte
 * stream is never resynchronised.
 */
export abstract class ProtocolError extends MembershipError {}

/** A frame declared a length over the limit; nothing of it was buffered. */
export class FrameTooLargeError extends ProtocolError {
  /** Stable across releases: `ERR_FRAME_TOO_LARGE`. */
  readonly code = 'ERR_FRAME_TOO_LARGE';

  constructor(
    /** The length the frame declared. */
    readonly length: number,
    /** The reader's limit. */
    readonly maxFrameSize: number,
    options?: ErrorOptions,
  ) {
    super(`frame of ${length} bytes exceeds the maximum of ${maxFrameSize}`, options);
  }
}

/** A frame declared a length of zero, which no message has. */
export class EmptyFrameError extends ProtocolError {
  /** Stable across releases: `ERR_EMPTY_FRAME`. */
  readonly code = 'ERR_EMPTY_FRAME';

  constructor(options?: ErrorOptions) {
    super('frame of length 0', options);
  }
}

/** A frame's payload is not exactly one MessagePack value. */
export class MalformedFrameError extends ProtocolError {
  /** Stable across releases: `ERR_MALFORMED_FRAME`. */
  readonly code = 'ERR_MALFORMED_FRAME';
}

/**
 * A frame decoded, but is not a valid message: a field is missing, of the
 * wrong type or out of range. `requestId` is set when the frame's request id
 * could be read, so that the server can answer `bad_request` to it.
 */
export class InvalidMessageError extends ProtocolError {
  /** Stable across releases: `ERR_INVALID_MESSAGE`. */
  readonly code = 'ERR_INVALID_MESSAGE';

  constructor(
    message: string,
    /** The request id, when it could be read. */
    readonly requestId?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The connection's first bytes are not a valid preamble or reply. */
export class BadPreambleError extends ProtocolError {
  /** Stable across releases: `ERR_BAD_PREAMBLE`. */
  readonly code = 'ERR_BAD_PREAMBLE';
}

/** The server refused a request as malformed (wire code `bad_request`). */
export class BadRequestError extends MembershipError {
  /** Stable across releases: `ERR_BAD_REQUEST`. */
  readonly code = 'ERR_BAD_REQUEST';
}

/**
 * The server failed in a way it did not classify (wire code `internal`, or
 * a code this version does not know); `wireCode` is what it sent.
 */
export class RemoteError extends MembershipError {
  /** Stable across releases: `ERR_REMOTE`. */
  readonly code = 'ERR_REMOTE';

  constructor(
    /** The wire error code the server sent. */
    readonly wireCode: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`server error ${wireCode}: ${message}`, options);
  }
}

/**
 * The peer refused the connection's preamble. `status` is the reply's
 * status byte (see `ReplyStatus`), `reason` its readable name.
 */
export class HandshakeRefusedError extends MembershipError {
  /** Stable across releases: `ERR_HANDSHAKE_REFUSED`. */
  readonly code = 'ERR_HANDSHAKE_REFUSED';

  constructor(
    /** The reply's status byte, one of `ReplyStatus`. */
    readonly status: number,
    /** The status by name: `wrong_cluster`, `busy`, … */
    readonly reason: string,
    detail = '',
    options?: ErrorOptions,
  ) {
    super(`peer refused the connection: ${reason}${detail ? ` (${detail})` : ''}`, options);
  }
}

/** The shared-secret handshake failed: a wrong secret, or a peer that did not prove it knows it. */
export class AuthenticationError extends MembershipError {
  /** Stable across releases: `ERR_AUTHENTICATION`. */
  readonly code = 'ERR_AUTHENTICATION';
}

/** The connection closed or failed before the response arrived; the request may be retried. */
export class ConnectionClosedError extends MembershipError {
  /** Stable across releases: `ERR_CONNECTION_CLOSED`. */
  readonly code = 'ERR_CONNECTION_CLOSED';
}

/**
 * One side speaks TLS and the other does not: a plain dialer met a TLS
 * server (`serverTls` true), or a TLS dialer met a plain server (`serverTls`
 * false). Configuration, not the network: never retried.
 */
export class TlsMismatchError extends MembershipError {
  /** Stable across releases: `ERR_TLS_MISMATCH`. */
  readonly code = 'ERR_TLS_MISMATCH';

  constructor(
    /** The server dialed. */
    readonly target: string,
    /** True when the server speaks TLS and this dialer was configured without it. */
    readonly serverTls: boolean,
    options?: ErrorOptions,
  ) {
    super(
      serverTls
        ? `${target} speaks TLS, and this client dials without it: give the client the tls option (its ca, and cert/key for mutual TLS)`
        : `${target} does not speak TLS, and this client dials with it: drop the client's tls option, or serve TLS on that server`,
      options,
    );
  }
}
