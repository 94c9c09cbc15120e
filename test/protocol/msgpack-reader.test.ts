import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedFrameError, decodePayload } from '../../src/protocol/index.js';
import { fcParams } from '../support/fc.js';
import { invalidNode, scan, oracleDecode, repeatsAKey, validNode, write } from './support/msgpack-oracle.js';

// The protocol's own MessagePack reader against msgpackr, the reader it
// replaced (maps read as `Map`s, then walked into plain objects): the same
// values from every valid encoding, and the same refusals (docs/wire-format.md §6).

/** What a decoder did with a payload: its value, or that it refused it as malformed. */
function outcome(decode: (payload: Buffer) => unknown, payload: Buffer): { value: unknown } | { refused: true } {
  try {
    return { value: decode(payload) };
  } catch (err) {
    expect(err).toBeInstanceOf(MalformedFrameError);
    return { refused: true };
  }
}

describe('the MessagePack reader agrees with msgpackr (property)', () => {
  it('reads every valid encoding of any value as msgpackr does', () => {
    fc.assert(
      fc.property(validNode(), (node) => {
        const payload = Buffer.from(write(node));
        expect(decodePayload(payload)).toEqual(oracleDecode(payload));
      }),
      fcParams({ numRuns: 1_000 }),
    );
  });

  it('refuses an extension type, c1 or nesting past 32 wherever it is, as msgpackr did', () => {
    fc.assert(
      fc.property(invalidNode, (node) => {
        const payload = Buffer.from(write(node));
        expect(outcome(decodePayload, payload)).toEqual({ refused: true });
        // msgpackr read a repeated key into a Map, which dropped the earlier
        // value before the walk could check it: what hid there got through.
        // §6 calls it invalid wherever it is, and the reader refuses it there too.
        if (!repeatsAKey(node)) expect(outcome(oracleDecode, payload)).toEqual({ refused: true });
      }),
      fcParams({ numRuns: 500 }),
    );
  });

  it('refuses a value cut short or followed by more bytes, as msgpackr did', () => {
    fc.assert(
      fc.property(validNode(3), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (node, cut, tail) => {
        const whole = Buffer.from(write(node));
        const short = whole.subarray(0, cut % whole.length);
        const long = Buffer.concat([whole, tail]);
        for (const payload of [short, long]) {
          expect(outcome(decodePayload, payload)).toEqual({ refused: true });
          expect(outcome(oracleDecode, payload)).toEqual({ refused: true });
        }
      }),
      fcParams({ numRuns: 500 }),
    );
  });

  it.each([
    ['under a repeated key', '82 a3726964 81a178c1 a3726964 01', { rid: 1 }], // {"rid": {"x": c1}, "rid": 1}
    // {"rid": 1, <extension 0x69, which msgpackr reads as an id for the value after it> "x": 2}
    ['as a prefix to a key (extension 0x69)', '82 a3726964 01 d669 00000000 a178 02', { rid: 1, x: 2 }],
  ])('refuses an extension type or c1 that msgpackr let through %s', (_how, hex, accepted) => {
    const payload = Buffer.from(hex.replaceAll(' ', ''), 'hex');
    expect(outcome(oracleDecode, payload)).toEqual({ value: accepted });
    expect(outcome(decodePayload, payload)).toEqual({ refused: true });
  });

  it('does with mutated and random bytes what msgpackr does: the same value, or a refusal', () => {
    const mutated = fc.tuple(validNode(3), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 })).map(([node, flips]) => {
      const bytes = Buffer.from(write(node));
      for (const [at, xor] of flips) bytes[at % bytes.length]! ^= xor;
      return bytes;
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ minLength: 1, maxLength: 48 }).map((b) => Buffer.from(b))), (payload) => {
        const read = outcome(decodePayload, payload);
        const oracle = outcome(oracleDecode, payload);
        const seen = scan(payload);
        // msgpackr read some extension types as a prefix to the next value (0x69,
        // an id) and so let them through, and it dropped what a repeated key's
        // earlier value held before checking it. §6 calls an extension type or
        // c1 invalid wherever it is: the reader refuses it everywhere.
        if (seen.invalidType) expect(read).toEqual({ refused: true });
        else if (!seen.repeatedKey || 'value' in read) expect(read).toEqual(oracle);
      }),
      fcParams({ numRuns: 2_000 }),
    );
  });
});
