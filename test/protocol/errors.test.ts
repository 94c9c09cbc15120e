import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import {
  AbortError,
  ChangeRejectedError,
  ConformanceSetupError,
  DifferentLeaderError,
  InvalidAddressError,
  InvalidOptionError,
  MembershipError,
  MembershipTimeoutError,
  NotLeaderError,
  RequestAlreadyDoneError,
  ServerAlreadyListeningError,
  ServerNotRunningError,
  ShuttingDownError,
  UnknownLeaderError,
  UnsupportedRequestError,
  UnsupportedRoleError,
} from '../../src/index.js';
import * as protocolErrors from '../../src/protocol/errors.js';
import {
  BadPreambleError,
  BadRequestError,
  EmptyFrameError,
  FrameTooLargeError,
  InvalidMessageError,
  MalformedFrameError,
  ProtocolError,
  RemoteError,
  HandshakeRefusedError,
  AuthenticationError,
  ConnectionClosedError,
  TlsMismatchError,
} from '../../src/protocol/errors.js';

type Make = (options?: ErrorOptions) => Error;

interface Row {
  readonly make: Make;
  readonly code: string;
  readonly message: string;
  /** The constructor takes `ErrorOptions`, so a cause can be passed through. */
  readonly takesCause: boolean;
  readonly protocol: boolean;
}

/** Every concrete error class: how to make one, and what it must say. */
const rows: Record<string, Row> = {
  DifferentLeaderError: { make: (o) => new DifferentLeaderError('10.0.0.1:7000', o), code: 'ERR_DIFFERENT_LEADER', message: 'node is not leader, current leader at: 10.0.0.1:7000', takesCause: true, protocol: false },
  UnknownLeaderError: { make: (o) => new UnknownLeaderError(o), code: 'ERR_UNKNOWN_LEADER', message: 'node is not leader, current leader unknown', takesCause: true, protocol: false },
  MembershipTimeoutError: { make: (o) => new MembershipTimeoutError(undefined, o), code: 'ERR_MEMBERSHIP_TIMEOUT', message: 'membership change timed out', takesCause: true, protocol: false },
  NotLeaderError: { make: (o) => new NotLeaderError(undefined, o), code: 'ERR_NOT_LEADER', message: 'raft node is not the leader', takesCause: true, protocol: false },
  UnsupportedRoleError: { make: (o) => new UnsupportedRoleError('nonvoter', o), code: 'ERR_UNSUPPORTED_ROLE', message: 'this cluster cannot add a server as nonvoter', takesCause: true, protocol: false },
  ChangeRejectedError: { make: (o) => new ChangeRejectedError('address in use', o), code: 'ERR_CHANGE_REJECTED', message: 'address in use', takesCause: true, protocol: false },
  UnsupportedRequestError: { make: (o) => new UnsupportedRequestError('no configuration', o), code: 'ERR_UNSUPPORTED_REQUEST', message: 'no configuration', takesCause: true, protocol: false },
  RequestAlreadyDoneError: { make: () => new RequestAlreadyDoneError(), code: 'ERR_REQUEST_ALREADY_DONE', message: 'change request is already done', takesCause: false, protocol: false },
  ShuttingDownError: { make: (o) => new ShuttingDownError(undefined, o), code: 'ERR_SHUTTING_DOWN', message: 'shutting down', takesCause: true, protocol: false },
  InvalidOptionError: { make: (o) => new InvalidOptionError('timeoutMs must be positive', o), code: 'ERR_INVALID_OPTION', message: 'timeoutMs must be positive', takesCause: true, protocol: false },
  ServerAlreadyListeningError: { make: (o) => new ServerAlreadyListeningError(undefined, o), code: 'ERR_SERVER_ALREADY_LISTEN', message: 'server is already listening: call listen() once', takesCause: true, protocol: false },
  ServerNotRunningError: { make: (o) => new ServerNotRunningError(undefined, o), code: 'ERR_SERVER_NOT_RUNNING', message: 'server is not listening: await listen() first', takesCause: true, protocol: false },
  InvalidAddressError: { make: (o) => new InvalidAddressError('nope', 'expected host:port', o), code: 'ERR_INVALID_ADDRESS', message: 'invalid server address "nope": expected host:port', takesCause: true, protocol: false },
  ConformanceSetupError: { make: (o) => new ConformanceSetupError('target refused the preamble', o), code: 'ERR_CONFORMANCE_SETUP', message: 'target refused the preamble', takesCause: true, protocol: false },
  FrameTooLargeError: { make: (o) => new FrameTooLargeError(70000, 65536, o), code: 'ERR_FRAME_TOO_LARGE', message: 'frame of 70000 bytes exceeds the maximum of 65536', takesCause: true, protocol: true },
  EmptyFrameError: { make: (o) => new EmptyFrameError(o), code: 'ERR_EMPTY_FRAME', message: 'frame of length 0', takesCause: true, protocol: true },
  MalformedFrameError: { make: (o) => new MalformedFrameError('not MessagePack', o), code: 'ERR_MALFORMED_FRAME', message: 'not MessagePack', takesCause: true, protocol: true },
  InvalidMessageError: { make: (o) => new InvalidMessageError('rid missing', 3, o), code: 'ERR_INVALID_MESSAGE', message: 'rid missing', takesCause: true, protocol: true },
  BadPreambleError: { make: (o) => new BadPreambleError('no magic', o), code: 'ERR_BAD_PREAMBLE', message: 'no magic', takesCause: true, protocol: true },
  BadRequestError: { make: (o) => new BadRequestError('bad role', o), code: 'ERR_BAD_REQUEST', message: 'bad role', takesCause: true, protocol: false },
  RemoteError: { make: (o) => new RemoteError('internal', 'disk full', o), code: 'ERR_REMOTE', message: 'server error internal: disk full', takesCause: true, protocol: false },
  HandshakeRefusedError: { make: (o) => new HandshakeRefusedError(0x13, 'wrong_cluster', 'name differs', o), code: 'ERR_HANDSHAKE_REFUSED', message: 'peer refused the connection: wrong_cluster (name differs)', takesCause: true, protocol: false },
  AuthenticationError: { make: (o) => new AuthenticationError('proof is wrong', o), code: 'ERR_AUTHENTICATION', message: 'proof is wrong', takesCause: true, protocol: false },
  ConnectionClosedError: { make: (o) => new ConnectionClosedError('peer closed', o), code: 'ERR_CONNECTION_CLOSED', message: 'peer closed', takesCause: true, protocol: false },
  AbortError: { make: (o) => new AbortError(undefined, o), code: 'ABORT_ERR', message: 'The operation was aborted', takesCause: true, protocol: false },
  TlsMismatchError: {
    make: (o) => new TlsMismatchError('10.0.0.1:7000', true, o),
    code: 'ERR_TLS_MISMATCH',
    message: '10.0.0.1:7000 speaks TLS, and this client dials without it: give the client the tls option (its ca, and cert/key for mutual TLS)',
    takesCause: true,
    protocol: false,
  },
};

/** The abstract bases: exported, never thrown themselves. */
const bases = new Set<unknown>([MembershipError, ProtocolError]);

const isErrorClass = (value: unknown): value is abstract new (...args: never[]) => Error =>
  typeof value === 'function' && value.prototype instanceof Error;

describe('error classes', () => {
  it('the table lists every error class exported from src/index.ts and src/protocol/errors.ts', () => {
    const exported = [...Object.entries(api), ...Object.entries(protocolErrors)]
      .filter(([, value]) => isErrorClass(value) && !bases.has(value))
      .map(([name]) => name);
    expect([...new Set(exported)].sort()).toEqual(Object.keys(rows).sort());
    expect(isErrorClass(MembershipError) && isErrorClass(ProtocolError)).toBe(true);
  });

  it.each(Object.entries(rows))('%s: name, code, message, base class', (name, row) => {
    const error = row.make();
    expect(error.name).toBe(name);
    expect(error.constructor.name).toBe(name);
    expect((error as MembershipError).code).toBe(row.code);
    expect(error.message).toBe(row.message);
    expect(error).toBeInstanceOf(MembershipError);
    expect(error).toBeInstanceOf(Error);
    expect(error instanceof ProtocolError).toBe(row.protocol);
    expect(error).not.toBeInstanceOf(TypeError);
    expect(error.stack).toContain(name);
  });

  it('codes are unique', () => {
    const codes = Object.values(rows).map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it.each(Object.entries(rows).filter(([, row]) => row.takesCause))('%s passes its cause through', (_name, row) => {
    const cause = new Error('underlying');
    expect(row.make({ cause }).cause).toBe(cause);
    expect('cause' in row.make()).toBe(false);
  });

  it('keeps the fields it is given', () => {
    expect(new DifferentLeaderError('a:1').leader).toBe('a:1');
    expect(new UnsupportedRoleError('nonvoter').role).toBe('nonvoter');
    expect(new InvalidAddressError('x', 'why')).toMatchObject({ address: 'x', reason: 'why' });
    expect(new FrameTooLargeError(5, 4)).toMatchObject({ length: 5, maxFrameSize: 4 });
    expect(new InvalidMessageError('m', 7).requestId).toBe(7);
    expect(new InvalidMessageError('m').requestId).toBeUndefined();
    expect(new RemoteError('quota', 'm').wireCode).toBe('quota');
    expect(new TlsMismatchError('a:1', false)).toMatchObject({ target: 'a:1', serverTls: false });
    expect(new TlsMismatchError('a:1', false).message).toMatch(/^a:1 does not speak TLS/);
    expect(new MembershipTimeoutError('m', { stage: 'preamble', target: 'a:1' })).toMatchObject({ stage: 'preamble', target: 'a:1' });
    expect('stage' in new MembershipTimeoutError('m')).toBe(false);
  });
});
