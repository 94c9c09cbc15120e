import fc from 'fast-check';
import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/protocol/index.js';
import { writeFrame } from '../../src/protocol/msgpack-writer.js';
import { fcParams } from '../support/fc.js';

// The protocol's own MessagePack writer writes exactly the bytes msgpackr,
// configured as the protocol configures it, writes for the same value; what
// it does not write itself, it leaves to msgpackr.

const packr = new Packr({ useRecords: false, variableMapSize: true, moreTypes: false, skipValues: [undefined] } as ConstructorParameters<typeof Packr>[0]);
const msgpackr = (value: unknown): Buffer => Buffer.from(packr.pack(value, RESERVE_START_SPACE | 4).subarray(4));
const written = (value: unknown): Buffer | undefined => {
  const frame = writeFrame(value, 4);
  return frame && Buffer.from(frame.subarray(4));
};

/** Values the writer writes itself: plain objects and arrays of strings, numbers, booleans, nil and 64-bit BigInts. */
const plain: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.oneof(
      { arbitrary: fc.string({ maxLength: 40 }), weight: 10 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 70 }), weight: 10 },
      // Long enough for the 16- and 32-bit string headers, written by Node rather than in JavaScript.
      { arbitrary: fc.string({ unit: 'binary', minLength: 250, maxLength: 70_000 }), weight: 1 },
    ),
    fc.oneof(fc.integer(), fc.integer({ min: -200, max: 70_000 }), fc.maxSafeInteger(), fc.double(), fc.constantFrom(-0, 2 ** 32, -(2 ** 31) - 1, 2 ** 53)),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
    fc.array(tie('value'), { maxLength: 20 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('rid', 'ok', 'index', '1', '__proto__')), fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 20, noNullPrototype: true }),
  ),
})).value;

describe('the MessagePack writer', () => {
  it('writes what msgpackr writes, byte for byte (property)', () => {
    fc.assert(
      fc.property(plain, (value) => {
        expect(written(value)).toEqual(msgpackr(value));
      }),
      fcParams({ numRuns: 1_000 }),
    );
  });

  it.each([
    ['a Map', new Map([['a', 1]])],
    ['a Date', new Date(0)],
    ['a Buffer', Buffer.from([1, 2])],
    ['undefined in an array', [1, undefined]],
    ['a map without a prototype', Object.assign(Object.create(null) as object, { rid: 1 })],
    ['a class instance inside a map', { rid: 1, at: new (class Point {})() }],
  ])('leaves %s to msgpackr, so that the frame is the same', (_name, value) => {
    expect(written(value)).toBeUndefined();
    expect(encodeFrame(value).subarray(4)).toEqual(msgpackr(value));
  });

  it('throws as msgpackr does for a BigInt past 64 bits', () => {
    expect(written(2n ** 64n)).toBeUndefined();
    expect(() => msgpackr(2n ** 64n)).toThrow(RangeError);
    expect(() => encodeFrame(2n ** 64n)).toThrow(RangeError);
  });

  it('hands out frames that later frames never write over', () => {
    // Enough frames to fill several slabs, some larger than the rest.
    const value = (i: number) => ({ rid: i, pad: 'x'.repeat(i % 100 === 0 ? 20_000 : i % 300) });
    const frames = Array.from({ length: 2_000 }, (_, i) => encodeFrame(value(i)));
    const wrong = frames.filter((frame, i) => !frame.subarray(4).equals(msgpackr(value(i))));
    expect(wrong).toEqual([]);
  });
});
