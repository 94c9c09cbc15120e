import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, FrameTooLargeError, MAX_MAX_FRAME_SIZE } from '../../src/protocol/index.js';
import { fcParams } from '../support/fc.js';
import { memorySample } from '../support/memory.js';
import { MAX, bad, feedUntilError, frame, good, header } from '../support/frame-cases.js';
import { byteByByte, decodeFrames } from '../support/frames.js';

const ways: Array<[string, (bytes: Buffer) => Buffer[]]> = [
  ['whole', (bytes) => [bytes]],
  ['byte by byte', byteByByte],
];


describe('FrameDecoder', () => {
  describe.each(ways)('fed %s', (_way, cut) => {
    it.each(good)('decodes %s', (_name, bytes, payloads, buffered) => {
      const decoder = new FrameDecoder({ maxFrameSize: MAX });
      expect(decodeFrames(cut(bytes), decoder).map((p) => p.toString('latin1'))).toEqual(payloads);
      expect(decoder.bufferedBytes).toBe(buffered);
    });

    it.each(bad)('refuses %s', (_name, bytes, before, error) => {
      const result = feedUntilError(cut(bytes));
      expect(result.payloads).toEqual(before);
      expect(result.error).toBeInstanceOf(error);
    });
  });

  it('refuses an oversized length from the header alone, buffering none of its payload', () => {
    const decoder = new FrameDecoder({ maxFrameSize: MAX });
    const bytes = Buffer.concat([header(1_000_000), Buffer.alloc(1000, 7)]);
    for (let i = 0; i < 3; i++) {
      decoder.push(bytes.subarray(i, i + 1), () => expect.unreachable('no payload'));
      expect(decoder.bufferedBytes).toBe(i + 1);
    }
    expect(() => decoder.push(bytes.subarray(3), () => expect.unreachable('no payload'))).toThrow(FrameTooLargeError);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reports the declared length and the limit', () => {
    const { error } = feedUntilError([header(MAX + 5)]);
    expect(error).toMatchObject({ length: MAX + 5, maxFrameSize: MAX, code: 'ERR_FRAME_TOO_LARGE' });
  });

  it.each([
    ['oversized', header(MAX + 1)],
    ['empty', header(0)],
  ])('keeps throwing the same error once a %s frame broke the stream', (_name, bytes) => {
    const decoder = new FrameDecoder({ maxFrameSize: MAX });
    const first = feedUntilError([bytes], decoder).error;
    expect(first).toBeInstanceOf(Error);
    for (const next of [frame('fine'), Buffer.alloc(0)]) {
      expect(() => decoder.push(next, () => expect.unreachable('no payload after an error'))).toThrow(first as Error);
    }
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts an empty chunk at any point', () => {
    const bytes = frame('abc');
    expect(decodeFrames([Buffer.alloc(0), bytes.subarray(0, 2), Buffer.alloc(0), bytes.subarray(2)], { maxFrameSize: MAX })).toEqual([Buffer.from('abc')]);
  });

  describe('maxFrameSize', () => {
    it('defaults to 64 KiB', () => {
      expect(new FrameDecoder().maxFrameSize).toBe(DEFAULT_MAX_FRAME_SIZE);
      expect(DEFAULT_MAX_FRAME_SIZE).toBe(65536);
      expect(decodeFrames([frame(Buffer.alloc(65536))])).toHaveLength(1);
      expect(feedUntilError([header(65537)], new FrameDecoder()).error).toBeInstanceOf(FrameTooLargeError);
    });

    it.each([1, 100, MAX_MAX_FRAME_SIZE])('accepts %d', (max) => {
      expect(new FrameDecoder({ maxFrameSize: max }).maxFrameSize).toBe(max);
    });

    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_MAX_FRAME_SIZE + 1])('refuses %d, naming the option', (max) => {
      expect(() => new FrameDecoder({ maxFrameSize: max })).toThrow(InvalidOptionError);
      expect(() => new FrameDecoder({ maxFrameSize: max })).toThrow(/maxFrameSize/);
    });
  });

  it('decodes random frame sequences fed whole and byte by byte (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 12 }), (payloads) => {
        const expected = payloads.map((p) => Buffer.from(p));
        const bytes = Buffer.concat(expected.map(frame));
        for (const [, cut] of ways) {
          const decoder = new FrameDecoder({ maxFrameSize: 64 });
          expect(decodeFrames(cut(bytes), decoder)).toEqual(expected);
          expect(decoder.bufferedBytes).toBe(0);
        }
      }),
      fcParams(),
    );
  });
  it('holds a frame trickled a byte at a time in about its own size, and says it is inside a frame', () => {
    const decoder = new FrameDecoder();
    const payload = Buffer.alloc(40_000, 7);
    const bytes = frame(payload);
    const out: Buffer[] = [];
    const before = memorySample();
    for (let i = 0; i < bytes.length - 1; i++) {
      // As a socket read of one byte: a Buffer with its own backing store.
      const chunk = Buffer.allocUnsafeSlow(1);
      chunk[0] = bytes[i]!;
      decoder.push(chunk, (p) => out.push(p));
      if (i === 1) expect(decoder.inFrame).toBe(true);
    }
    expect(decoder.inFrame).toBe(true);
    expect(decoder.bufferedBytes).toBe(payload.length - 1);
    // Kept as they came, the 40,000 one-byte chunks would hold ~8 MB.
    expect(memorySample().held - before.held).toBeLessThan(1024 * 1024);
    decoder.push(bytes.subarray(-1), (p) => out.push(p));
    expect(out).toEqual([payload]);
    expect(decoder.inFrame).toBe(false);
  });
});

