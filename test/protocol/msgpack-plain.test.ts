import { describe, expect, it } from 'vitest';
import { MAX_NESTING_DEPTH, MalformedFrameError, decodePayload, decodeRequest, decodeResponse, encodeFrame, encodeResponse } from '../../src/protocol/index.js';

// The reader's rules of docs/wire-format.md §6 and §7, byte by byte.

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
/** `{"type": "members", "rid": 1, "x": <value>}`, the value given as hex. */
const membersWithX = (value: string): Buffer => hex(`83 a474797065 a76d656d62657273 a3726964 01 a178 ${value}`);

describe('decodePayload: plain MessagePack only', () => {
  it.each([
    ['ext type 0 (msgpackr: undefined)', 'd40000'],
    ['ext type 0x42 (msgpackr: BigInt)', 'd44201'],
    ['ext type 0x74 (msgpackr: a typed array)', 'd5740101'],
    ['ext type 1, unknown to msgpackr', 'd40100'],
    ['the timestamp extension', 'd6ff00000000'],
    ['ext8', 'c70201 0000'],
    ['0xc1 as a type byte', 'c1'],
    ['an extension inside an array', '92 01 d40000'],
  ])('closes on %s, even under a key nobody knows', (_name, value) => {
    expect(() => decodeRequest(membersWithX(value))).toThrow(MalformedFrameError);
  });

  it('closes on an extension used as a key', () => {
    expect(() => decodePayload(hex('82 a3726964 01 d40000 01'))).toThrow(MalformedFrameError);
  });

  it('accepts the byte 0xc1 where it is data, not a type byte', () => {
    expect(decodePayload(membersWithX('cc c1'))).toMatchObject({ x: 193 });
    expect(decodePayload(membersWithX('c4 01 c1'))).toMatchObject({ x: Buffer.from([0xc1]) });
  });

  it('ignores a pair whose key is not a string', () => {
    // 7: "x", "rid" as bin: 2, {"x": 1}: nil, [1]: nil, true: 3, nil: 4, 1.5: 5
    const payload = hex('89 a474797065 a76d656d62657273 a3726964 01 07 a178 c403726964 02 81a17801 c0 9101 c0 c3 03 c0 04 cb3ff8000000000000 05');
    expect(decodePayload(payload)).toEqual({ type: 'members', rid: 1 });
    expect(decodeRequest(payload)).toEqual({ type: 'members', rid: 1 });
  });

  it('keeps the last of a repeated key', () => {
    expect(decodeRequest(hex('83 a474797065 a76d656d62657273 a3726964 01 a3726964 02'))).toEqual({ type: 'members', rid: 2 });
  });

  it('ignores a __proto__ key, which no message uses', () => {
    const value = decodePayload(hex('82 a3726964 01 a95f5f70726f746f5f5f 81a474797065a46a6f696e')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(value.type).toBeUndefined();
  });

  it(`counts maps and arrays, the outer map included, up to ${MAX_NESTING_DEPTH}`, () => {
    const arrays = (n: number): string => '91'.repeat(n) + '00';
    expect(decodeRequest(membersWithX(arrays(MAX_NESTING_DEPTH - 1)))).toEqual({ type: 'members', rid: 1 });
    expect(() => decodeRequest(membersWithX(arrays(MAX_NESTING_DEPTH)))).toThrow(/more than 32 deep/);
    // scalars are no level: 31 arrays around a string still fit
    expect(decodeRequest(membersWithX('91'.repeat(MAX_NESTING_DEPTH - 1) + 'a178'))).toEqual({ type: 'members', rid: 1 });
  });

  it('reads a float holding a whole number as that integer, and refuses any other', () => {
    expect(decodeRequest(hex('82 a474797065 a76d656d62657273 a3726964 cb3ff0000000000000'))).toEqual({ type: 'members', rid: 1 });
    expect(() => decodeRequest(hex('82 a474797065 a76d656d62657273 a3726964 cb3ff8000000000000'))).toThrow(/rid must be an integer/);
  });

  it('decodes a string that is not valid UTF-8 with U+FFFD in place of the bad bytes', () => {
    // {"type": "leave", "rid": 1, "id": 70 ff}
    expect(decodeRequest(hex('83 a474797065 a56c65617665 a3726964 01 a26964 a270ff'))).toEqual({ type: 'leave', rid: 1, id: 'p\ufffd' });
  });

  it('reads a role of nil as no role: a voter', () => {
    const join = { type: 'join', rid: 1, id: 'n', address: 'a:1', role: null };
    expect(decodeRequest(encodeFrame(join).subarray(4))).toMatchObject({ role: 'voter' });
  });

  it('never writes undefined, which msgpackr would send as extension type 0', () => {
    expect(encodeFrame({ rid: 1, x: undefined })).toEqual(encodeFrame({ rid: 1 }));
  });
});

describe('the response index: an integer 0 … 2^53-1', () => {
  const success = (index: string): Buffer => hex(`83 a3726964 01 a26f6b c3 a5696e646578 ${index}`);

  it('reads a larger uint64 as a success without an index, not as an undecodable response', () => {
    expect(decodeResponse(success('cf 0020000000000000'))).toEqual({ rid: 1, ok: true });
    expect(decodeResponse(success('cf ffffffffffffffff'))).toEqual({ rid: 1, ok: true });
    expect(decodeResponse(success('cf 001fffffffffffff'))).toEqual({ rid: 1, ok: true, index: 2 ** 53 - 1 });
  });

  it('reads nil as no index, a whole float as its integer, and the rest as no index (§7: the change was made)', () => {
    expect(decodeResponse(success('c0'))).toEqual({ rid: 1, ok: true });
    expect(decodeResponse(success('cb 4045000000000000'))).toEqual({ rid: 1, ok: true, index: 42 });
    expect(decodeResponse(success('d3 ffffffffffffffff'))).toEqual({ rid: 1, ok: true });
    expect(decodeResponse(success('cb 3ff8000000000000'))).toEqual({ rid: 1, ok: true });
  });

  it.each([2 ** 53, 2 ** 64, 1.5, -1, Number.NaN])('leaves out an index of %d rather than send a float', (index) => {
    expect(encodeResponse({ rid: 1, ok: true, index })).toEqual(encodeResponse({ rid: 1, ok: true }));
  });

  it('writes 2^53-1 as a 64-bit integer', () => {
    const frame = encodeResponse({ rid: 1, ok: true, index: 2 ** 53 - 1 });
    expect(frame.subarray(frame.length - 9).toString('hex')).toMatch(/^(cf|d3)001fffffffffffff$/);
  });
});

describe('members entries', () => {
  it('read a missing or nil role as voter, as a join does', () => {
    const members = [{ id: 'n1', address: 'a:1' }, { id: 'n2', address: 'a:2', role: null }];
    expect(decodeResponse(encodeFrame({ rid: 1, ok: true, members }).subarray(4))).toEqual({
      rid: 1,
      ok: true,
      members: [{ id: 'n1', address: 'a:1', role: 'voter' }, { id: 'n2', address: 'a:2', role: 'voter' }],
    });
  });
});
