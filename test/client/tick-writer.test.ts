import { describe, expect, it } from 'vitest';
import { TickWriter } from '../../src/client/tick-writer.js';
import { useCleanup } from '../support/cleanup.js';
import { countWrites, nextTurn, socketPair } from '../support/socket-pair.js';

const use = useCleanup();

const pair = () => socketPair(use);
const tick = nextTurn;

describe('writing a tick\'s frames', () => {
  it('writes frames that lie back to back as one buffer, at the end of the tick', async () => {
    const { client, received, closed } = await pair();
    const writes = countWrites(client);
    const writer = new TickWriter(client);
    const slab = Buffer.from('aaaabbbbbbcc');
    writer.write(slab.subarray(0, 4));
    writer.write(slab.subarray(4, 10));
    writer.write(slab.subarray(10, 12));
    expect(writes).toEqual([]);
    await tick();
    expect(writes).toEqual([12]);
    // A lone frame goes as it is.
    writer.write(Buffer.from('dd'));
    await tick();
    expect(writes).toEqual([12, 2]);
    client.end();
    await closed;
    expect(received().toString()).toBe('aaaabbbbbbccdd');
  });

  it('keeps the order of frames that do not follow on, in one corked write', async () => {
    const { client, received, closed } = await pair();
    const writes = countWrites(client);
    const writer = new TickWriter(client);
    const one = Buffer.from('1111--2222');
    const other = Buffer.from('xxyy');
    writer.write(one.subarray(0, 4));
    writer.write(other.subarray(0, 2));
    writer.write(other.subarray(2, 4));
    writer.write(one.subarray(6, 10));
    await tick();
    expect(writes).toEqual([4, 4, 4]);
    expect(client.writableCorked).toBe(0);
    client.end();
    await closed;
    expect(received().toString()).toBe('1111xxyy2222');
  });

  it('writes nothing to a socket destroyed before the tick ended', async () => {
    const { client } = await pair();
    const writes = countWrites(client);
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    const writer = new TickWriter(client);
    writer.write(Buffer.from('late'));
    client.destroy();
    await tick();
    expect(writes).toEqual([]);
    expect(errors).toEqual([]);
  });
});
