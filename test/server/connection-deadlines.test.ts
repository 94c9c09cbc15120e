import { describe, expect, it, vi } from 'vitest';
import { Channel, MembershipServer, type ChangeRequest, type MembershipServerOptions } from '../../src/index.js';
import { decodeResponse, encodeHello, encodeRequest } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { answerEverything, writeUntilStalled } from '../support/hostile.js';
import { MB } from '../support/memory.js';
import { RawPeer, membershipPeer } from '../support/raw-peer.js';

// The deadlines of membership connections: a frame must be whole in time,
// idleness counts from progress (not from bytes), and a peer that does not
// read its answers is cut off.

const use = useCleanup();

async function listening(options: MembershipServerOptions) {
  const server = use(new MembershipServer(options), (s) => s.close());
  return { server, address: await server.listen() };
}

async function member(address: string): Promise<RawPeer> {
  return use(await membershipPeer(address), (p) => p.close());
}

/** For the slow-consumer cases: the peer's requests are answered as fast as they come, not at its rate limit. */
const UNLIMITED = { requestRatePerPeer: Infinity } as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `bytes` a byte every `everyMs` until the server closes or they run out; returns how many were sent. */
async function trickle(peer: RawPeer, bytes: Buffer, everyMs: number): Promise<number> {
  let sent = 0;
  while (!peer.closed && sent < bytes.length) {
    peer.write(bytes.subarray(sent, sent + 1));
    sent += 1;
    await sleep(everyMs);
  }
  return sent;
}

/** A logger that keeps why connections were closed. */
function closeReasons(): { reasons: string[]; logger: MembershipServerOptions['logger'] } {
  const reasons: string[] = [];
  const keep = (fields: Record<string, unknown>, message: string): void => {
    if (message === 'closing membership connection') reasons.push(String(fields?.reason));
  };
  return { reasons, logger: { debug: keep, warn: keep } };
}

/** A raft whose configuration has `count` servers: its `members` answer is ~50 bytes a server. */
function configuredRaft(count: number): FakeRaft {
  const raft = new FakeRaft();
  for (let i = 0; i < count; i++) raft.servers.set(`server-${i}`, { id: `server-${i}`, address: `10.0.${i >> 8}.${i & 255}:7000`, role: 'voter' });
  return raft;
}

const leave = (rid: number, id = `n${rid}`): Buffer => encodeRequest({ type: 'leave', rid, id });

describe('connection deadlines', () => {
  it('closes a connection whose frame is not whole within frameTimeoutMs, though its bytes keep coming', async () => {
    const { reasons, logger } = closeReasons();
    const { server, address } = await listening({ frameTimeoutMs: 200, logger });
    const slow = await member(address);
    // 60 bytes at one per 20 ms: 1.2 s for the frame, every byte on time.
    const frame = leave(1, 'x'.repeat(50));
    const sent = await trickle(slow, frame, 20);
    expect(slow.closed).toBe(true);
    expect(sent).toBeLessThan(frame.length);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
    expect(reasons).toEqual(['a frame not complete within 200 ms']);
  });

  it('gives each frame its own deadline: whole frames sent slowly keep the connection', async () => {
    const { server, address } = await listening({ frameTimeoutMs: 150 });
    const loop = answerEverything(server);
    const peer = await member(address);
    for (let rid = 1; rid <= 6; rid++) {
      // Each frame in two halves 40 ms apart; 6 frames take longer than the deadline.
      const frame = leave(rid);
      peer.write(frame.subarray(0, 5));
      await sleep(40);
      peer.write(frame.subarray(5));
      expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid, ok: true });
      await sleep(40);
    }
    expect(peer.closed).toBe(false);
    await server.close();
    await loop;
  });

  it('counts idleness from progress, not from bytes: a trickled frame does not keep a connection open', async () => {
    const { reasons, logger } = closeReasons();
    const { server, address } = await listening({ idleTimeoutMs: 200, frameTimeoutMs: 60_000, logger });
    const trickler = await member(address);
    const sent = await trickle(trickler, leave(1, 'x'.repeat(50)), 20);
    expect(trickler.closed).toBe(true);
    expect(sent).toBeLessThan(60);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0));
    expect(reasons).toEqual(['idle for 200 ms']);
  });

  it('keeps a connection that makes progress open past idleTimeoutMs', async () => {
    const { server, address } = await listening({ idleTimeoutMs: 150 });
    const loop = answerEverything(server);
    const peer = await member(address);
    for (let rid = 1; rid <= 8; rid++) {
      peer.write(leave(rid));
      expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid, ok: true });
      await sleep(60);
    }
    expect(peer.closed).toBe(false);
    await server.close();
    await loop;
  });

  it('does not run the frame deadline while the server itself has stopped reading', async () => {
    const { server, address } = await listening({ maxInFlight: 1, frameTimeoutMs: 100 });
    const peer = await member(address);
    const second = leave(2);
    // The first request fills the in-flight limit; half of the second arrives.
    peer.write(Buffer.concat([leave(1), second.subarray(0, 6)]));
    const iterator = server.requests[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as ChangeRequest;
    await sleep(400);
    expect(peer.closed).toBe(false);
    first.done(null, 5);
    peer.write(second.subarray(6));
    expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 1, ok: true });
    ((await iterator.next()).value as ChangeRequest).done(null, 6);
    expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 2, ok: true, index: 6 });
  });

  it('cuts off a peer that does not read its answers within writeTimeoutMs', async () => {
    const { reasons, logger } = closeReasons();
    const { server, address } = await listening({ writeTimeoutMs: 300, logger, ...UNLIMITED });
    server.serveConfiguration(configuredRaft(30));
    const peer = use(await RawPeer.connect(address), (p) => p.close());
    peer.socket.pause();
    peer.write(encodeHello(Channel.Membership));
    // ~1.5 KB answers: the kernel's buffers fill long before the requests run out.
    const block = Buffer.concat(Array.from({ length: 1_000 }, (_, rid) => encodeRequest({ type: 'members', rid })));
    await writeUntilStalled(peer.socket, block, 50 * MB, 300);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), { timeout: 5_000 });
    expect(reasons).toEqual(['answers not read within 300 ms (slow consumer)']);
  });

  it('cuts off at once a peer with more than maxPendingOutput of answers unread', async () => {
    const { reasons, logger } = closeReasons();
    const { server, address } = await listening({ maxPendingOutput: 256 * 1024, writeTimeoutMs: 60_000, logger, ...UNLIMITED });
    server.serveConfiguration(configuredRaft(600));
    const peer = use(await RawPeer.connect(address), (p) => p.close());
    peer.socket.pause();
    peer.write(encodeHello(Channel.Membership));
    // Each answer is ~20 KB: the kernel's buffers fill, then the answers to the requests in flight exceed the bound.
    const block = Buffer.concat(Array.from({ length: 1_000 }, (_, rid) => encodeRequest({ type: 'members', rid })));
    await writeUntilStalled(peer.socket, block, 50 * MB, 300);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), { timeout: 5_000 });
    expect(reasons).toEqual([expect.stringMatching(/^\d+ bytes of answers unread, more than maxPendingOutput \(slow consumer\)$/)]);
  });
});
