import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidMessageError,
  MAX_REQUEST_ID,
  MAX_SERVER_ID_BYTES,
  MalformedFrameError,
  WireErrorCode,
  decodeRequest,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  encodeResponse,
  encodeSuccess,
  type RequestMessage,
  type ResponseMessage,
} from '../../src/protocol/index.js';
import { fcParams } from '../support/fc.js';
import { decodeFrames } from '../support/frames.js';

/** The MessagePack payload of `value`, without its frame header. */
const payloadOf = (value: unknown): Buffer => encodeFrame(value).subarray(4);

const port = fc.integer({ min: 1, max: 65535 });
const address = fc.oneof(
  fc.tuple(fc.ipV4(), port).map(([h, p]) => `${h}:${p}`),
  fc.tuple(fc.ipV6(), port).map(([h, p]) => `[${h}]:${p}`),
  fc.tuple(fc.domain(), port).map(([h, p]) => `${h}:${p}`),
);
const rid = fc.integer({ min: 0, max: MAX_REQUEST_ID });
const serverId = fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_SERVER_ID_BYTES }).filter((s) => s.length <= MAX_SERVER_ID_BYTES);

const request: fc.Arbitrary<RequestMessage> = fc.oneof(
  fc.record({ type: fc.constant('join' as const), rid, id: serverId, address, role: fc.constantFrom('voter' as const, 'nonvoter' as const) }),
  fc.record({ type: fc.constant('leave' as const), rid, id: serverId }),
  fc.record({ type: fc.constant('members' as const), rid }),
  fc.record({ type: fc.constant('members' as const), rid, offset: fc.integer({ min: 1, max: MAX_REQUEST_ID }) }),
);

const member = fc.record({ id: serverId, address, role: fc.constantFrom('voter' as const, 'nonvoter' as const) });

const response: fc.Arbitrary<ResponseMessage> = fc.oneof(
  fc.record({ rid, ok: fc.constant(true as const) }),
  fc.record({ rid, ok: fc.constant(true as const), index: fc.maxSafeNat() }),
  fc.record({ rid, ok: fc.constant(true as const), index: fc.maxSafeNat(), members: fc.array(member, { maxLength: 8 }) }, { requiredKeys: ['rid', 'ok', 'members'] }),
  fc.record({ rid, ok: fc.constant(true as const), index: fc.maxSafeNat(), members: fc.array(member, { maxLength: 8 }), next: fc.integer({ min: 0, max: MAX_REQUEST_ID }) }, { requiredKeys: ['rid', 'ok', 'members'] }),
  fc.record({
    rid,
    ok: fc.constant(false as const),
    code: fc.oneof(fc.constantFrom(...Object.values(WireErrorCode).filter((c) => c !== WireErrorCode.DifferentLeader)), fc.string({ minLength: 1 })),
    message: fc.string(),
  }).filter((r) => r.code !== WireErrorCode.DifferentLeader),
  fc.record({ rid, ok: fc.constant(false as const), code: fc.constant(WireErrorCode.DifferentLeader), message: fc.string(), leader: address }),
);

describe('messages round trip (property)', () => {
  const cases = [
    ['requests', request, encodeRequest, decodeRequest],
    ['responses', response, encodeResponse, decodeResponse],
  ] as Array<[string, fc.Arbitrary<unknown>, (m: unknown) => Buffer, (p: Buffer) => unknown]>;

  it.each(cases)('%s', (_name, arbitrary, encode, decode) => {
    fc.assert(
      fc.property(arbitrary, (message) => {
        const payloads = decodeFrames([encode(message)]);
        expect(payloads).toHaveLength(1);
        expect(decode(payloads[0]!)).toEqual(message);
      }),
      fcParams(),
    );
  });
});

describe('encodeSuccess', () => {
  it('writes the bytes encodeResponse writes for the same success, for every rid and index', () => {
    const rid = fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, MAX_REQUEST_ID), fc.integer({ min: 0, max: MAX_REQUEST_ID }));
    const index = fc.option(fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xffff_ffff, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), { nil: undefined });
    fc.assert(
      fc.property(rid, index, (r, i) => {
        const expected = encodeResponse(i === undefined ? { rid: r, ok: true } : { rid: r, ok: true, index: i });
        expect(encodeSuccess(r, i).toString('hex')).toBe(expected.toString('hex'));
      }),
      fcParams(),
    );
  });
});

const join = { type: 'join', rid: 4, id: 'node-2', address: '10.0.0.2:7000', role: 'voter' };

describe('decodeRequest', () => {
  it('defaults a missing role to voter and ignores unknown keys', () => {
    const { role: _role, ...noRole } = join;
    expect(decodeRequest(payloadOf({ ...noRole, future: [1, 2], zone: 'eu' }))).toEqual(join);
  });

  it('accepts an id of exactly the longest length', () => {
    const id = 'i'.repeat(MAX_SERVER_ID_BYTES);
    expect(decodeRequest(payloadOf({ type: 'leave', rid: MAX_REQUEST_ID, id }))).toEqual({ type: 'leave', rid: MAX_REQUEST_ID, id });
  });

  // A map whose rid cannot be read gives an error without requestId: the
  // server closes the connection.
  it.each([
    ['a missing rid', { type: 'leave', id: 'a' }, /rid must be an integer/],
    ['a string rid', { type: 'leave', rid: '1', id: 'a' }, /rid must be an integer .* got "1"/],
    ['a negative rid', { type: 'leave', rid: -1, id: 'a' }, /rid must be an integer/],
    ['a rid past 32 bits', { type: 'leave', rid: MAX_REQUEST_ID + 1, id: 'a' }, /rid must be an integer/],
    ['a fractional rid', { type: 'leave', rid: 1.5, id: 'a' }, /rid must be an integer/],
    ['a nil rid', { type: 'leave', rid: null, id: 'a' }, /got nil/],
    ['an array', [1, 2], /request must be a map, got an array/],
    ['a string', 'join', /request must be a map, got "join"/],
    ['nil', null, /request must be a map, got nil/],
    ['a number', 7, /request must be a map, got number 7/],
    ['binary', Buffer.from([1, 2]), /request must be a map, got binary/],
  ])('refuses %s without a request id', (_name, value, message) => {
    const attempt = () => decodeRequest(payloadOf(value));
    expect(attempt).toThrow(InvalidMessageError);
    expect(attempt).toThrow(message);
    expect(catchError(attempt)).toMatchObject({ requestId: undefined });
  });

  // A readable rid gives an error carrying it: the server answers bad_request.
  it.each([
    ['a missing id', { type: 'leave', rid: 4 }, /id must be a non-empty string/],
    ['an empty id', { type: 'leave', rid: 4, id: '' }, /id must be a non-empty string/],
    ['a numeric id', { type: 'leave', rid: 4, id: 5 }, /id must be a non-empty string/],
    ['an id one too long', { type: 'leave', rid: 4, id: 'i'.repeat(MAX_SERVER_ID_BYTES + 1) }, /id longer than 256 bytes/],
    ['a missing address', { ...join, address: undefined }, /address must be a string/],
    ['a numeric address', { ...join, address: 7000 }, /address must be a string/],
    ['an address without a port', { ...join, address: '10.0.0.2' }, /address "10.0.0.2" is not a valid address: expected host:port/],
    ['an unbracketed IPv6 address', { ...join, address: '::1:7000' }, /IPv6 host must be written in brackets/],
    ['port 0', { ...join, address: 'a:0' }, /port out of range/],
    ['an unknown role', { ...join, role: 'observer' }, /role must be "voter" or "nonvoter", got "observer"/],
    ['a numeric role', { ...join, role: 1 }, /role must be .* got number 1/],
    ['an unknown type', { ...join, type: 'rename' }, /unknown type "rename"/],
    ['a missing type', { rid: 4, id: 'a' }, /unknown type nothing/],
    ['a members request with a numeric type', { type: 7, rid: 4 }, /unknown type number 7/],
    ['a members request with a negative offset', { type: 'members', rid: 4, offset: -1 }, /offset must be an integer from 0/],
    ['a members request with a fractional offset', { type: 'members', rid: 4, offset: 1.5 }, /offset must be an integer from 0/],
  ])('refuses %s, naming the request id', (_name, value, message) => {
    const attempt = () => decodeRequest(payloadOf(value));
    expect(attempt).toThrow(InvalidMessageError);
    expect(attempt).toThrow(message);
    expect(catchError(attempt)).toMatchObject({ requestId: 4, code: 'ERR_INVALID_MESSAGE' });
  });

  // §7: a message is at most 512 bytes; the bad_request for a huge address
  // once copied the whole address (20,082 bytes for 20,000).
  it.each([
    ['20,000 ASCII bytes', 'a'.repeat(20_000)],
    ['3,000 × é', 'é'.repeat(3_000)],
    ['a long valid-looking host and a bad port', `${'h'.repeat(60_000)}:0`],
  ])('keeps the message about an invalid address of %s within 512 bytes, quoting 40 characters of it', (_name, address) => {
    const error = catchError(() => decodeRequest(payloadOf({ ...join, address }))) as InvalidMessageError;
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(512);
    expect(error.message).toContain(`"${[...address].slice(0, 40).join('')}..."`);
  });

  it('never quotes half of a surrogate pair', () => {
    const error = catchError(() => decodeRequest(payloadOf({ ...join, address: '😀'.repeat(100) }))) as Error;
    expect(error.message).toContain(`"${'😀'.repeat(40)}..."`);
    expect(Buffer.from(error.message, 'utf8').toString('utf8')).toBe(error.message);
  });

  it.each([
    ['trailing bytes', Buffer.concat([payloadOf(join), Buffer.from([0xc0])])],
    ['a map header with no pairs after it', Buffer.from([0x81])],
    ['an empty payload', Buffer.alloc(0)],
    ['a truncated map', payloadOf(join).subarray(0, 10)],
    ['an unknown extension type', Buffer.from([0xd4, 0x01, 0x00])],
  ])('refuses %s as malformed', (_name, payload) => {
    expect(() => decodeRequest(payload)).toThrow(MalformedFrameError);
    expect(() => decodeResponse(payload)).toThrow(MalformedFrameError);
  });

  it('keeps what the MessagePack decoder said as the cause', () => {
    const error = catchError(() => decodeRequest(Buffer.from([0x81])));
    expect(error).toBeInstanceOf(MalformedFrameError);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });
});

describe('decodeResponse', () => {
  it('ignores unknown keys, and a leader outside different_leader', () => {
    expect(decodeResponse(payloadOf({ rid: 1, ok: true, index: 3, extra: 'x' }))).toEqual({ rid: 1, ok: true, index: 3 });
    expect(decodeResponse(payloadOf({ rid: 1, ok: false, code: 'rejected', message: 'no', leader: 'a:1' }))).toEqual({
      rid: 1,
      ok: false,
      code: 'rejected',
      message: 'no',
    });
  });

  it('reads a members list, ignoring unknown keys in its entries', () => {
    const members = [{ id: 'n1', address: 'a:1', role: 'voter', zone: 'eu' }, { id: 'n2', address: '[::1]:2', role: 'nonvoter' }];
    expect(decodeResponse(payloadOf({ rid: 1, ok: true, members }))).toEqual({
      rid: 1,
      ok: true,
      members: [{ id: 'n1', address: 'a:1', role: 'voter' }, { id: 'n2', address: '[::1]:2', role: 'nonvoter' }],
    });
    expect(decodeResponse(payloadOf({ rid: 1, ok: true, index: 5, members: [] }))).toEqual({ rid: 1, ok: true, index: 5, members: [] });
  });

  it('reads a missing message as empty', () => {
    expect(decodeResponse(payloadOf({ rid: 1, ok: false, code: 'internal' }))).toEqual({ rid: 1, ok: false, code: 'internal', message: '' });
  });

  // §7: ok: true says the change was made; an index that cannot be used is left out.
  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '42'],
    ['beyond 2^53-1', 2 ** 53],
    ['a boolean', true],
  ])('reads a success whose index is %s as a success without an index', (_name, index) => {
    expect(decodeResponse(payloadOf({ rid: 9, ok: true, index }), 'join')).toEqual({ rid: 9, ok: true });
  });

  // §7: a members array is read in the answer to a members request only.
  it('ignores a members key in the answer to a join or leave, whatever it holds', () => {
    expect(decodeResponse(payloadOf({ rid: 2, ok: true, index: 56, members: 5 }), 'join')).toEqual({ rid: 2, ok: true, index: 56 });
    expect(decodeResponse(payloadOf({ rid: 2, ok: true, members: [{ id: 'n1', address: 'a:1' }], next: 'x' }), 'leave')).toEqual({ rid: 2, ok: true });
  });

  it('asks what the rid answers, and reads members only for a members request', () => {
    const answering = (rid: number) => (rid === 1 ? 'members' : rid === 2 ? 'join' : undefined);
    const value = { ok: true, index: 3, members: [{ id: 'n1', address: 'a:1' }] };
    expect(decodeResponse(payloadOf({ rid: 1, ...value }), answering)).toEqual({ rid: 1, ok: true, index: 3, members: [{ id: 'n1', address: 'a:1', role: 'voter' }] });
    expect(decodeResponse(payloadOf({ rid: 2, ...value }), answering)).toEqual({ rid: 2, ok: true, index: 3 });
    // Not in flight: it will be ignored, so its members are not even read.
    expect(decodeResponse(payloadOf({ rid: 3, ok: true, members: 'junk' }), answering)).toEqual({ rid: 3, ok: true });
  });

  it('refuses a map without a readable rid, without a request id', () => {
    const error = catchError(() => decodeResponse(payloadOf({ ok: true })));
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect(error).toMatchObject({ requestId: undefined });
  });

  it.each([
    ['a missing ok', { rid: 9 }, /ok must be true or false/],
    ['a string ok', { rid: 9, ok: 'yes' }, /ok must be true or false/],
    ['a missing code', { rid: 9, ok: false, message: 'x' }, /code must be a non-empty string/],
    ['an empty code', { rid: 9, ok: false, code: '', message: 'x' }, /code must be a non-empty string/],
    ['different_leader without a leader', { rid: 9, ok: false, code: 'different_leader', message: 'x' }, /needs a leader address/],
    ['different_leader with a bad leader', { rid: 9, ok: false, code: 'different_leader', message: 'x', leader: 'nope' }, /leader "nope" is not a valid address: expected host:port/],
    ['members that are not an array', { rid: 9, ok: true, members: { a: 1 } }, /members must be an array, got a map/],
    ['a member that is not a map', { rid: 9, ok: true, members: ['n1'] }, /members\[0\] must be a map/],
    ['a member without an id', { rid: 9, ok: true, members: [{ address: 'a:1', role: 'voter' }] }, /members\[0\]: id must be a non-empty string/],
    ['a member with a bad address', { rid: 9, ok: true, members: [{ id: 'n', address: 'a', role: 'voter' }] }, /members\[0\]: address "a" is not a valid address/],
    ['one bad member among good ones', { rid: 9, ok: true, members: [{ id: 'n1', address: 'a:1' }, { id: 'n2', address: 'a:0' }] }, /members\[1\]/],
    ['a members answer without members', { rid: 9, ok: true, index: 4 }, /members must be an array, got nothing/],
    ['a member with an unknown role', { rid: 9, ok: true, members: [{ id: 'n', address: 'a:1', role: 'spare' }] }, /members\[0\]: role must be/],
    ['a members page whose next is negative', { rid: 9, ok: true, members: [], next: -1 }, /next must be an integer from 0/],
    ['a members page whose next is a string', { rid: 9, ok: true, members: [], next: '5' }, /next must be an integer from 0/],
  ])('refuses %s, naming the request id', (_name, value, message) => {
    const attempt = () => decodeResponse(payloadOf(value), 'members');
    expect(attempt).toThrow(InvalidMessageError);
    expect(attempt).toThrow(message);
    expect(catchError(attempt)).toMatchObject({ requestId: 9 });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('plain MessagePack only', () => {
  it('refuses 0xc1, which MessagePack never uses, as malformed', () => {
    // {"type":"leave","rid":1,"id":<0xc1>}
    const payload = Buffer.from('83a474797065a56c65617665a372696401a26964c1', 'hex');
    expect(() => decodeRequest(payload)).toThrow(MalformedFrameError);
  });

  it('refuses the timestamp extension anywhere in a message', () => {
    // {"type":"leave","rid":1,"id":"a","x":[<timestamp 32: d6 ff 00000000>]}
    const payload = Buffer.from('84a474797065a56c65617665a372696401a26964a161a17891d6ff00000000', 'hex');
    expect(() => decodeRequest(payload)).toThrow(/extension/);
  });

  it('writes an index of 2^32 or more as a MessagePack integer, not a float', () => {
    const frame = encodeResponse({ rid: 1, ok: true, index: 2 ** 32 + 5 });
    const tail = frame.subarray(frame.length - 9);
    expect(['cf', 'd3']).toContain(tail.subarray(0, 1).toString('hex'));
    expect(tail.subarray(1).toString('hex')).toBe('0000000100000005');
    expect(decodeResponse(frame.subarray(4))).toEqual({ rid: 1, ok: true, index: 2 ** 32 + 5 });
  });
});
