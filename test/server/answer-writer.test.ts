import { describe, expect, it } from 'vitest';
import { AnswerWriter, type AnswerWriterEvents } from '../../src/server/answer-writer.js';
import { useCleanup } from '../support/cleanup.js';
import { countWrites, nextTurn, socketPair } from '../support/socket-pair.js';

const use = useCleanup();

/** The events an AnswerWriter told, in order. */
function recorder(): AnswerWriterEvents & { readonly seen: string[] } {
  const seen: string[] = [];
  return {
    seen,
    blocked: () => seen.push('blocked'),
    drained: () => seen.push('drained'),
    overflowed: (pending) => seen.push(`overflowed ${pending}`),
  };
}

describe('AnswerWriter', () => {
  it('writes answers that lie back to back as one buffer at the end of the tick, others in order in one corked tick', async () => {
    const { client, received, closed } = await socketPair(use);
    const writes = countWrites(client);
    const writer = new AnswerWriter(client, 1024 * 1024, recorder());
    const slab = Buffer.from('aaaabbbbbbcc');
    const other = Buffer.from('xy');
    writer.write(slab.subarray(0, 4));
    writer.write(slab.subarray(4, 10));
    writer.write(other);
    writer.write(slab.subarray(10, 12));
    expect(writes).toEqual([10, 2]);
    await nextTurn();
    expect(writes).toEqual([10, 2, 2]);
    expect(client.writableCorked).toBe(0);
    client.end();
    await closed;
    expect(received().toString()).toBe('aaaabbbbbbxycc');
  });

  it('hands answers over once they fill the socket\'s buffer, so that a peer not reading blocks it as before', async () => {
    const { client } = await socketPair(use, false);
    const events = recorder();
    const writer = new AnswerWriter(client, 1024 * 1024, events);
    const slab = Buffer.alloc(client.writableHighWaterMark * 4);
    const frame = 1000;
    let at = 0;
    while (!writer.blocked && at + frame <= slab.length) {
      writer.write(slab.subarray(at, at + frame));
      at += frame;
    }
    // Blocked in the tick the answers passed the buffer, as a write of each would have been.
    expect(events.seen).toEqual(['blocked']);
    expect(at).toBe(Math.ceil(client.writableHighWaterMark / frame) * frame);
  });

  it('tells of an overflow once more than maxPendingOutput waits that the kernel would not take, in the tick it happens', async () => {
    const { client } = await socketPair(use, false);
    const events = recorder();
    const writer = new AnswerWriter(client, 1024, events);
    // More than the kernel takes from a peer that does not read.
    const slab = Buffer.alloc(64 * 1024 * 1024);
    let at = 0;
    for (; at < slab.length && events.seen.length === 0; at += 512) writer.write(slab.subarray(at, at + 512));
    expect(events.seen).toEqual([expect.stringMatching(/^overflowed \d+$/)]);
    expect(Number(events.seen[0]!.split(' ')[1])).toBeGreaterThan(1024);
    // What the kernel took left at once, before the overflow was told.
    expect(at).toBeGreaterThan(64 * 1024);
  });

  it('writes what it gathered before the socket ends, and nothing to a socket destroyed before the tick ended', async () => {
    const { client, received, closed } = await socketPair(use);
    const writer = new AnswerWriter(client, 1024 * 1024, recorder());
    writer.write(Buffer.from('last'));
    writer.flush();
    client.end();
    await closed;
    expect(received().toString()).toBe('last');

    const second = await socketPair(use);
    const writes = countWrites(second.client);
    const errors: Error[] = [];
    second.client.on('error', (err) => errors.push(err));
    const other = new AnswerWriter(second.client, 1024 * 1024, recorder());
    other.write(Buffer.from('late'));
    second.client.destroy();
    await nextTurn();
    expect(writes).toEqual([]);
    expect(errors).toEqual([]);
  });
});
