import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPlainJoin } from '../../src/protocol/join-reader.js';
import { MAX_REQUEST_ID, decodeRequest, encodeRequest } from '../../src/protocol/messages.js';
import { encodeFrame } from '../../src/protocol/msgpack.js';
import { readMessagePack } from '../../src/protocol/msgpack-reader.js';
import { fcParams } from '../support/fc.js';

// The join reader against the general reader, which it stands in for: the
// same fields from every payload it reads, and `undefined` (the general
// reader then reads it) for every other; decodeRequest the same either way.

const payloadOf = (frame: Buffer): Buffer => frame.subarray(4);

/** What the general reader makes of `payload`, or that it refused it. */
function general(payload: Buffer): unknown {
  try {
    return readMessagePack(payload);
  } catch {
    return 'refused';
  }
}

/** What decodeRequest makes of `payload`: the message, or the error it threw (name, message, request id). */
function decoded(payload: Buffer): unknown {
  try {
    return decodeRequest(payload);
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message, requestId: (err as { requestId?: number }).requestId };
  }
}

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom('', 'n2', '127.0.0.1:7002', 'host.example.org:7000', '[::1]:7000', 'x'.repeat(31), 'x'.repeat(32), 'é'.repeat(100)));
const join = fc.record({
  rid: fc.oneof(fc.integer({ min: 0, max: MAX_REQUEST_ID }), fc.constantFrom(0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, MAX_REQUEST_ID)),
  id: text,
  address: text,
  role: fc.constantFrom('voter' as const, 'nonvoter' as const),
});

describe('the reader of plain joins', () => {
  it('reads every join the client writes as the general reader does', () => {
    fc.assert(
      fc.property(join, (fields) => {
        const payload = payloadOf(encodeRequest({ type: 'join', ...fields }));
        expect(readPlainJoin(payload)).toEqual(general(payload));
      }),
      fcParams(),
    );
  });

  it('reads a mutated or cut payload as the general reader does, or leaves it to it; decodeRequest says the same as without it', () => {
    fc.assert(
      fc.property(join, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (fields, at, byte, cut) => {
        const frame = Buffer.from(payloadOf(encodeRequest({ type: 'join', ...fields })));
        const where = at % frame.length;
        const payload = cut ? frame.subarray(0, where) : (frame.writeUInt8(byte, where), frame);
        const plain = readPlainJoin(payload);
        if (plain !== undefined) expect(plain).toEqual(general(payload));
        // decodeRequest with the reader, against decodeRequest's general path (a Uint8Array is not a Buffer: it skips the reader).
        const view = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
        expect(decoded(payload)).toEqual(decoded(view as Buffer));
      }),
      fcParams({ numRuns: 2_000 }),
    );
  });

  it('leaves to the general reader a join in another key order, with a str 16, a nil role or a byte after it', () => {
    const reordered = payloadOf(encodeFrame({ rid: 1, type: 'join', id: 'n', address: '1.2.3.4:5', role: 'voter' }));
    expect(general(reordered)).toMatchObject({ type: 'join', rid: 1 });
    expect(readPlainJoin(reordered)).toBeUndefined();
    const plain = payloadOf(encodeRequest({ type: 'join', rid: 1, id: 'n', address: '1.2.3.4:5', role: 'voter' }));
    expect(readPlainJoin(plain)).toEqual({ type: 'join', rid: 1, id: 'n', address: '1.2.3.4:5', role: 'voter' });
    const nilRole = Buffer.concat([plain.subarray(0, plain.length - 6), Buffer.from([0xc0])]);
    expect(readPlainJoin(nilRole)).toBeUndefined();
    expect(decodeRequest(nilRole)).toMatchObject({ role: 'voter' });
    expect(readPlainJoin(Buffer.concat([plain, Buffer.from([0xc0])]))).toBeUndefined();
    const str16 = Buffer.from('85a474797065a46a6f696ea372696401a26964da00016e' + 'a761646472657373a9312e322e332e343a35a4726f6c65a5766f746572', 'hex');
    expect(readPlainJoin(str16)).toBeUndefined();
    expect(decodeRequest(str16)).toEqual({ type: 'join', rid: 1, id: 'n', address: '1.2.3.4:5', role: 'voter' });
  });
});
