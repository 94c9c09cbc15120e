import { describe, expect, it, vi } from 'vitest';
import { Channel, MembershipServer, ReplyStatus, TcpChanger, type MembershipServerOptions } from '../../src/index.js';
import { decodeResponse, encodeHello, encodeRequest } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { answerEverything, writeUntilStalled } from '../support/hostile.js';
import { serve } from '../support/membership-fixture.js';
import { MB, memorySample } from '../support/memory.js';
import { RawPeer, membershipPeer } from '../support/raw-peer.js';

// Peers that try to make the server hold more than its limits allow. Each
// test checks the server's documented answer and that it still serves.

const use = useCleanup();
const SELF = '127.0.0.1:7999';

function listening(options: MembershipServerOptions = {}) {
  const server = use(new MembershipServer(options), (s) => s.close());
  return server.listen().then((address) => ({ server, address }));
}

function peer(address: string): Promise<RawPeer> {
  return RawPeer.connect(address).then((p) => use(p, (q) => q.close()));
}

/** Writes `bytes` one at a time every `everyMs` until the server closes or the bytes run out. */
async function trickle(p: RawPeer, bytes: Buffer, everyMs: number): Promise<number> {
  let sent = 0;
  while (!p.closed && sent < bytes.length) {
    p.write(bytes.subarray(sent, sent + 1));
    sent += 1;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return sent;
}

/** Join requests for `count` distinct rids, in one buffer. */
function joinBlock(count: number, firstRid = 0): Buffer {
  return Buffer.concat(
    Array.from({ length: count }, (_, i) => encodeRequest({ type: 'join', rid: firstRid + i, id: `n${i % 97}`, address: '127.0.0.1:7000', role: 'voter' })),
  );
}

describe('hostile peers', () => {
  it.each([
    ['the hello', {}, () => encodeHello(Channel.Membership, 'c'.repeat(200))],
    ['the auth answer', { secret: 's3cret' }, () => Buffer.alloc(64, 7)],
  ])('drops a peer that trickles %s a byte at a time at the preamble deadline', async (_what, extra, tail) => {
    const { address } = await listening({ clusterName: 'c'.repeat(200), preambleTimeoutMs: 300, ...extra });
    const p = await peer(address);
    const bytes = tail();
    if ('secret' in extra) {
      p.write(encodeHello(Channel.Membership, 'c'.repeat(200)));
      expect((await p.read(2))[0]).toBe(ReplyStatus.Challenge);
      await p.read(32);
    }
    // 50 ms per byte: each byte would reset an idle timer; the whole takes 3 s or more.
    const sent = await trickle(p, bytes, 50);
    expect(p.closed).toBe(true);
    expect(sent).toBeLessThan(bytes.length);
    expect((await p.waitClosed()).length).toBe(0);
  });

  it('refuses a flood past maxConnections with Busy, and a legitimate client still gets in', async () => {
    // A deadline long enough for the flood to arrive while the slots are held, even on a loaded machine.
    const { server, address } = await listening({ maxConnections: 16, preambleTimeoutMs: 1_000 });
    // Sixteen peers hold every slot by trickling their hello.
    const holders = await Promise.all(Array.from({ length: 16 }, () => peer(address)));
    const trickling = holders.map((h) => trickle(h, encodeHello(Channel.Membership, 'x'.repeat(100)), 40));
    await vi.waitFor(() => expect(server.connectionCount).toBe(16));
    const flood = await Promise.all(Array.from({ length: 64 }, () => peer(address)));
    for (const p of flood) expect([...(await p.waitClosed())]).toEqual([ReplyStatus.Busy, 'too many connections'.length, ...Buffer.from('too many connections')]);
    // Busy is retried with back-off; the slots free at the preamble deadline.
    const loop = answerEverything(server);
    const client = use(new TcpChanger({ address: SELF, minBackoffMs: 20, maxBackoffMs: 200 }), (c) => c.close());
    expect(await client.join('legit', address, 5_000)).toBe(1);
    await Promise.all(trickling);
    expect(holders.every((h) => h.closed)).toBe(true);
    client.close();
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
    await server.close();
    expect(await loop).toBe(1);
  });

  it('survives thousands of connect/close cycles and ends with no connection held', async () => {
    const cluster = use(await serve({ maxConnections: 64 }), (c) => c.close());
    const hello = encodeHello(Channel.Membership);
    const request = encodeRequest({ type: 'leave', rid: 1, id: 'gone' });
    const styles = [
      (p: RawPeer) => p.close(),
      (p: RawPeer) => (p.write(hello.subarray(0, 3)), p.close()),
      (p: RawPeer) => (p.write(hello), p.close()),
      (p: RawPeer) => (p.write(Buffer.concat([hello, request])), p.close()),
      (p: RawPeer) => (p.write(Buffer.concat([hello, request, request.subarray(0, 9)])), p.socket.end()),
    ];
    const cycles = 2_000;
    let busy = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cycles) {
        const n = next++;
        const p = await RawPeer.connect(cluster.address);
        styles[n % styles.length]!(p);
        const left = await p.waitClosed().catch(() => Buffer.alloc(0));
        if (left[0] === ReplyStatus.Busy) busy += 1;
        p.close();
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    await vi.waitFor(() => expect(cluster.server.connectionCount).toBe(0), { timeout: 5_000 });
    expect(busy).toBe(0);
    // And it still serves.
    const good = use(await membershipPeer(cluster.address), (p) => p.close());
    good.write(encodeRequest({ type: 'leave', rid: 2, id: 'n1' }));
    expect(decodeResponse(await good.readFrame())).toMatchObject({ rid: 2, ok: true });
  });

  it('closes a peer announcing a 4 GiB frame at once, buffering none of it', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const p = use(await membershipPeer(cluster.address), (q) => q.close());
    const before = memorySample();
    p.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    // It goes on writing as if the server were reading the payload.
    const flood = await writeUntilStalled(p.socket, Buffer.alloc(64 * 1024, 0x41), 64 * MB, 300);
    expect((await p.waitClosed()).length).toBe(0);
    expect(flood.written).toBeLessThan(64 * MB);
    expect(memorySample().held - before.held).toBeLessThan(16 * MB);
    await vi.waitFor(() => expect(cluster.server.connectionCount).toBe(0));
  });

  describe('a peer that pipelines requests and never reads the responses', () => {
    // With a consumer that answers at once, the server's writes back up; with
    // one that answers nothing, its in-flight limit fills. Either way it must
    // stop reading: the peer's writes stall long before 50 MB.
    it.each([
      ['answered at once', true, false],
      ['answered at once, requests sent with the hello', true, true],
      ['never answered', false, false],
      ['never answered, requests sent with the hello', false, true],
    ])('is read no further than the server can hold (%s)', async (_what, answer, withHello) => {
      const { server, address } = await listening();
      const loop = answer ? answerEverything(server) : undefined;
      const p = await peer(address);
      p.socket.pause();
      const block = joinBlock(1_000);
      const before = memorySample();
      if (withHello) p.write(Buffer.concat([encodeHello(Channel.Membership), block]));
      else p.write(encodeHello(Channel.Membership));
      const flood = await writeUntilStalled(p.socket, block, 50 * MB);
      const after = memorySample();
      console.info(
        `flood (${_what}): peer wrote ${(flood.written / MB).toFixed(1)} MB before stalling; server held +${((after.held - before.held) / MB).toFixed(1)} MB`,
      );
      expect(flood.stalled).toBe(true);
      expect(flood.written).toBeLessThan(50 * MB);
      expect(after.held - before.held).toBeLessThan(24 * MB);
      expect(server.connectionCount).toBe(1);
      // A paused connection notices its peer is gone only when it next
      // writes (at the latest at the request timeout); close() ends it now.
      p.close();
      await server.close();
      expect(server.connectionCount).toBe(0);
      await loop;
    });
  });
});
