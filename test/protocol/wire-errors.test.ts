import { describe, expect, it } from 'vitest';
import {
  ChangeRejectedError,
  DifferentLeaderError,
  MembershipTimeoutError,
  NotLeaderError,
  RequestAlreadyDoneError,
  ShuttingDownError,
  UnknownLeaderError,
  UnsupportedRequestError,
  UnsupportedRoleError,
} from '../../src/index.js';
import {
  BadRequestError,
  InvalidMessageError,
  RemoteError,
  WireErrorCode,
  decodeResponse,
  encodeResponse,
  fromWireError,
  toWireError,
} from '../../src/protocol/index.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** A server-side error, the code it goes out as, and what the client makes of it. */
const cases: Array<[string, Error, WireErrorCode, ErrorClass, Record<string, unknown>]> = [
  ['DifferentLeaderError', new DifferentLeaderError('10.0.0.1:7000'), 'different_leader', DifferentLeaderError, { leader: '10.0.0.1:7000' }],
  ['UnknownLeaderError', new UnknownLeaderError(), 'unknown_leader', UnknownLeaderError, {}],
  ['NotLeaderError', new NotLeaderError(), 'unknown_leader', UnknownLeaderError, {}],
  ['MembershipTimeoutError', new MembershipTimeoutError('join of n not done'), 'timeout', MembershipTimeoutError, { message: expect.stringContaining('join of n not done') }],
  ['UnsupportedRoleError', new UnsupportedRoleError('nonvoter'), 'unsupported_role', UnsupportedRoleError, { role: 'nonvoter' }],
  ['ChangeRejectedError', new ChangeRejectedError('address in use'), 'rejected', ChangeRejectedError, { message: 'address in use' }],
  ['ShuttingDownError', new ShuttingDownError('closing'), 'shutting_down', ShuttingDownError, { message: expect.stringContaining('closing') }],
  ['UnsupportedRequestError', new UnsupportedRequestError('no configuration here'), 'unsupported', UnsupportedRequestError, { message: 'no configuration here' }],
  ['InvalidMessageError', new InvalidMessageError('invalid request 3: bad role', 3), 'bad_request', BadRequestError, { message: 'invalid request 3: bad role' }],
  ['a plain Error', new Error('disk full'), 'internal', RemoteError, { wireCode: 'internal', message: 'server error internal: internal error' }],
  ['RequestAlreadyDoneError', new RequestAlreadyDoneError(), 'internal', RemoteError, { wireCode: 'internal' }],
  ['a very long message', new ChangeRejectedError('x'.repeat(5_000)), 'rejected', ChangeRejectedError, { message: expect.stringMatching(/^x{509}\.\.\.$/) }],
];

describe('toWireError / fromWireError', () => {
  it.each(cases)('%s goes out as its code and comes back as the right class', (_name, error, code, back, fields) => {
    const wire = toWireError(error);
    expect(wire.code).toBe(code);
    // Unclassified errors keep their text at the server.
    expect(wire.message).toBe(code === WireErrorCode.Internal ? 'internal error' : error.message.length > 512 ? `${error.message.slice(0, 509)}...` : error.message);
    expect('leader' in wire).toBe(code === WireErrorCode.DifferentLeader);
    const received = fromWireError(wire);
    expect(received).toBeInstanceOf(back);
    expect(received).toMatchObject(fields);
  });

  it.each(cases)('%s survives the trip through a response frame', (_name, error, code, back, fields) => {
    const frame = encodeResponse({ rid: 11, ok: false, ...toWireError(error) });
    const decoded = decodeResponse(frame.subarray(4));
    if (decoded.ok) throw new Error('expected an error response');
    expect(decoded.code).toBe(code);
    const received = fromWireError(decoded);
    expect(received).toBeInstanceOf(back);
    expect(received).toMatchObject(fields);
  });

  it('covers every wire code', () => {
    expect(new Set(cases.map(([, , code]) => code))).toEqual(new Set(Object.values(WireErrorCode)));
  });

  it('reads a code it does not know as a remote error keeping the code', () => {
    const received = fromWireError({ code: 'quota_exceeded', message: 'too many joins' });
    expect(received).toBeInstanceOf(RemoteError);
    expect(received).toMatchObject({ wireCode: 'quota_exceeded', message: 'server error quota_exceeded: too many joins' });
  });
});

describe('toWireError: a message of at most 512 bytes of valid UTF-8', () => {
  const sent = (message: string): string => toWireError(new ChangeRejectedError(message)).message;

  it('keeps a message of exactly 512 bytes whole', () => {
    const message = `${'€'.repeat(170)}xx`; // 3 × 170 + 2 bytes
    expect(sent(message)).toBe(message);
  });

  it('cuts a longer one at a character boundary, "..." included in the 512', () => {
    const cut = sent('€'.repeat(200)); // 600 bytes
    expect(cut).toBe(`${'€'.repeat(169)}...`);
    expect(Buffer.byteLength(cut)).toBe(510);
    const emoji = sent('🔑'.repeat(200)); // 4 bytes, two UTF-16 units each
    expect(emoji).toBe(`${'🔑'.repeat(127)}...`);
  });

  it('never sends a lone surrogate, which is not UTF-8', () => {
    expect(sent('a\ud800b')).toBe('a\ufffdb');
  });

  it('cuts the unknown_leader message that replaces an undialable leader too', () => {
    const message = toWireError(new DifferentLeaderError('x'.repeat(600))).message;
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(512);
  });
});

describe('toWireError with a leader address nobody could dial', () => {
  it.each(['', 'localhost', 'not an address:1'])('sends unknown_leader instead of %j', (leader) => {
    const wire = toWireError(new DifferentLeaderError(leader));
    expect(wire.code).toBe(WireErrorCode.UnknownLeader);
    expect('leader' in wire).toBe(false);
  });
});
