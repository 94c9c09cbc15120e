import { createServer, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { useCleanup } from './cleanup.js';
import { FaultProxy } from './fault-proxy.js';
import { RawPeer } from './raw-peer.js';

const use = useCleanup();

/** A server that records what each connection sends and lets the test answer. */
async function recorder() {
  const accepted: Array<{ socket: Socket; received: () => Buffer; closed: () => boolean }> = [];
  const server = createServer((socket) => {
    let received = Buffer.alloc(0);
    let closed = false;
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    accepted.push({ socket, received: () => received, closed: () => closed });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  use(server, (s) => {
    for (const { socket } of accepted) socket.destroy();
    return new Promise((resolve) => s.close(resolve));
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('not bound');
  return { address: `127.0.0.1:${bound.port}`, accepted };
}

async function setup() {
  const target = await recorder();
  const proxy = use(await FaultProxy.start(target.address), (p) => p.close());
  const linking = proxy.nextLink();
  const peer = use(await RawPeer.connect(proxy.address), (p) => p.close());
  const link = await linking;
  await vi.waitFor(() => expect(target.accepted).toHaveLength(1));
  return { proxy, link, peer, far: target.accepted[0]!, target };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy', () => {
  it('forwards bytes both ways and counts them', async () => {
    const { proxy, peer, far } = await setup();
    peer.write('hello');
    await vi.waitFor(() => expect(far.received().toString()).toBe('hello'));
    far.socket.write('world!');
    expect((await peer.read(6)).toString()).toBe('world!');
    expect(proxy.stats).toMatchObject({ links: 1, bytesUp: 5, bytesDown: 6, cuts: 0 });
  });

  it('delays bytes without reordering them', async () => {
    const { link, peer, far } = await setup();
    link.delay(300, 'up');
    peer.write('a');
    peer.write('b');
    await sleep(100);
    expect(far.received().length).toBe(0);
    await vi.waitFor(() => expect(far.received().toString()).toBe('ab'));
    // The other direction is untouched.
    far.socket.write('x');
    expect((await peer.read(1, 200)).toString()).toBe('x');
  });

  it('drops: holds every byte back until healed, then delivers them all in order', async () => {
    const { link, peer, far } = await setup();
    link.drop();
    peer.write('one ');
    peer.write('two');
    await sleep(100);
    expect(far.received().length).toBe(0);
    link.heal();
    await vi.waitFor(() => expect(far.received().toString()).toBe('one two'));
  });

  it('black-holes: swallows bytes, forwards none, keeps both sides open', async () => {
    const { proxy, link, peer, far } = await setup();
    link.blackHole('up');
    peer.write('lost');
    await vi.waitFor(() => expect(proxy.stats.bytesSwallowed).toBe(4));
    await sleep(50);
    expect(far.received().length).toBe(0);
    expect(peer.closed || far.closed()).toBe(false);
    link.heal();
    peer.write('kept');
    await vi.waitFor(() => expect(far.received().toString()).toBe('kept'));
  });

  it('cuts a link: both sides see it close', async () => {
    const { proxy, link, peer, far } = await setup();
    link.cut();
    await peer.waitClosed();
    await vi.waitFor(() => expect(far.closed()).toBe(true));
    await link.closed;
    expect(proxy.links).toHaveLength(0);
    expect(proxy.stats.cuts).toBe(1);
  });

  it('cuts in the middle of a frame: exactly N more bytes arrive, then the close', async () => {
    const { link, peer, far } = await setup();
    link.cut({ afterBytes: 7, direction: 'down' });
    far.socket.write('0123');
    far.socket.write('456789abcdef');
    expect((await peer.waitClosed()).toString()).toBe('0123456');
    await vi.waitFor(() => expect(far.closed()).toBe(true));
  });

  it('is bounded: a dropped link stops reading, so the writer stalls instead of the proxy buffering', async () => {
    const { proxy, link, peer, far } = await setup();
    link.drop('up');
    const block = Buffer.alloc(64 * 1024);
    let writes = 0;
    // Write until the writer's own buffer refuses (the proxy is no longer reading).
    while (peer.socket.write(block) && writes < 1_000) writes += 1;
    await sleep(100);
    while (peer.socket.write(block) && writes < 1_000) writes += 1;
    expect(writes).toBeLessThan(1_000);
    expect(peer.socket.writableLength).toBeGreaterThan(0);
    expect(far.received().length).toBe(0);
    expect(proxy.stats.bytesUp).toBe(0);
    link.heal();
    const total = (writes + 2) * block.length;
    await vi.waitFor(() => expect(far.received().length).toBe(total), { timeout: 5_000 });
  });

  it('applies proxy-wide faults to new links only, and close() leaves nothing open', async () => {
    const target = await recorder();
    const proxy = await FaultProxy.start(target.address);
    const first = use(await RawPeer.connect(proxy.address), (p) => p.close());
    await vi.waitFor(() => expect(proxy.links).toHaveLength(1));
    proxy.setFaults({ mode: 'black-hole' });
    const second = use(await RawPeer.connect(proxy.address), (p) => p.close());
    await vi.waitFor(() => expect(target.accepted).toHaveLength(2));
    first.write('a');
    second.write('b');
    await vi.waitFor(() => expect(target.accepted[0]!.received().toString()).toBe('a'));
    await sleep(50);
    expect(target.accepted[1]!.received().length).toBe(0);
    await proxy.close();
    await first.waitClosed();
    await second.waitClosed();
    expect(proxy.links).toHaveLength(0);
  });
});
