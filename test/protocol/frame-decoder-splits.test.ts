import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../src/protocol/index.js';
import { fcParams } from '../support/fc.js';
import { bad, feedUntilError, frame, good, MAX } from '../support/frame-cases.js';
import { decodeFrames, splitAt } from '../support/frames.js';

// The third way of feeding the codec cases: in two chunks, cut at every
// offset; then random cuts of random frame sequences.

const cuts = (bytes: Buffer): number[] => Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);

describe('FrameDecoder fed in two chunks, cut at every offset', () => {
  it.each(good)('decodes %s', (_name, bytes, payloads, buffered) => {
    for (const at of cuts(bytes)) {
      const decoder = new FrameDecoder({ maxFrameSize: MAX });
      const got = decodeFrames(splitAt(bytes, [at]), decoder).map((p) => p.toString('latin1'));
      expect({ at, got, buffered: decoder.bufferedBytes }).toEqual({ at, got: payloads, buffered });
    }
  });

  it.each(bad)('refuses %s', (_name, bytes, before, error) => {
    for (const at of cuts(bytes)) {
      const result = feedUntilError(splitAt(bytes, [at]));
      expect({ at, payloads: result.payloads }).toEqual({ at, payloads: before });
      expect(result.error).toBeInstanceOf(error);
    }
  });

  it('decodes random frame sequences cut at random offsets (property)', () => {
    const stream = fc
      .array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 12 })
      .chain((payloads) => {
        const bytes = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
        const offsets = fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 20 });
        return fc.tuple(fc.constant(payloads), fc.constant(bytes), offsets);
      });
    fc.assert(
      fc.property(stream, ([payloads, bytes, offsets]) => {
        const decoder = new FrameDecoder({ maxFrameSize: 64 });
        const chunks = splitAt(bytes, [...offsets].sort((a, b) => a - b));
        expect(decodeFrames(chunks, decoder)).toEqual(payloads.map((p) => Buffer.from(p)));
        expect(decoder.bufferedBytes).toBe(0);
      }),
      fcParams(),
    );
  });
});
