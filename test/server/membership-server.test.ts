import { describe, expect, it, vi } from 'vitest';
import {
  Channel,
  MembershipServer,
  ReplyStatus,
  ShuttingDownError,
  WireErrorCode,
  type ChangeRequest,
} from '../../src/index.js';
import { decodeResponse, encodeFrame, encodeHello, encodeRequest } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { serve } from '../support/membership-fixture.js';
import { RawPeer, membershipPeer as openMembershipPeer } from '../support/raw-peer.js';

const use = useCleanup();

async function membershipPeer(address: string): Promise<RawPeer> {
  return use(await openMembershipPeer(address), (p) => p.close());
}

async function response(peer: RawPeer) {
  return decodeResponse(await peer.readFrame());
}

describe('MembershipServer', () => {
  it('answers a join and a leave with the configuration index', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const peer = await membershipPeer(cluster.address);
    peer.write(encodeRequest({ type: 'join', rid: 7, id: 'n2', address: '127.0.0.1:7002', role: 'voter' }));
    expect(await response(peer)).toEqual({ rid: 7, ok: true, index: 2 });
    peer.write(encodeRequest({ type: 'leave', rid: 8, id: 'n2' }));
    expect(await response(peer)).toEqual({ rid: 8, ok: true, index: 3 });
    expect(cluster.raft.servers.size).toBe(0);
  });

  it('answers a follower request with the leader address', async () => {
    const cluster = use(await serve(), (c) => c.close());
    cluster.raft.currentState = 'follower';
    cluster.raft.leaderAddress = '127.0.0.1:7001';
    const peer = await membershipPeer(cluster.address);
    peer.write(encodeRequest({ type: 'leave', rid: 1, id: 'n2' }));
    expect(await response(peer)).toMatchObject({ rid: 1, ok: false, code: 'different_leader', leader: '127.0.0.1:7001' });
  });

  it('answers pipelined requests out of order, matched by rid', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const address = await server.listen();
    const peer = await membershipPeer(address);
    const frames = [1, 2, 3].map((rid) => encodeRequest({ type: 'join', rid, id: `n${rid}`, address: `127.0.0.1:700${rid}`, role: 'voter' }));
    peer.write(Buffer.concat(frames));
    const received: ChangeRequest[] = [];
    for await (const request of server.requests) {
      received.push(request);
      if (received.length === 3) break;
    }
    expect(received.map((r) => r.id)).toEqual(['n1', 'n2', 'n3']);
    received[2]!.done(null, 30);
    received[0]!.done(new ShuttingDownError());
    received[1]!.done(null, 20);
    const answers = [await response(peer), await response(peer), await response(peer)];
    expect(answers.map((a) => a.rid)).toEqual([3, 1, 2]);
    expect(answers[0]).toEqual({ rid: 3, ok: true, index: 30 });
    expect(answers[1]).toMatchObject({ ok: false, code: 'shutting_down' });
  });

  it('answers an invalid request whose rid it can read with bad_request and keeps the connection', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const peer = await membershipPeer(cluster.address);
    peer.write(encodeFrame({ type: 'join', rid: 5, id: 'n2', address: 'not an address' }));
    expect(await response(peer)).toMatchObject({ rid: 5, ok: false, code: WireErrorCode.BadRequest });
    peer.write(encodeFrame({ type: 'rename', rid: 6, id: 'n2' }));
    expect(await response(peer)).toMatchObject({ rid: 6, ok: false, code: WireErrorCode.BadRequest, message: expect.stringMatching(/unknown type "rename"/) });
    peer.write(encodeRequest({ type: 'leave', rid: 7, id: 'n2' }));
    expect(await response(peer)).toMatchObject({ rid: 7, ok: true });
  });

  it('refuses a duplicate rid while the first is in flight', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const peer = await membershipPeer(await server.listen());
    peer.write(encodeRequest({ type: 'leave', rid: 9, id: 'a' }));
    peer.write(encodeRequest({ type: 'leave', rid: 9, id: 'b' }));
    expect(await response(peer)).toMatchObject({ rid: 9, ok: false, code: WireErrorCode.BadRequest, message: expect.stringMatching(/already in flight/) });
  });

  it.each([
    ['an oversized length', Buffer.from([0x00, 0x01, 0x00, 0x01])],
    ['a zero length', Buffer.from([0, 0, 0, 0])],
    ['bytes that are not MessagePack', Buffer.from([0, 0, 0, 1, 0xc1])],
    ['a value that is not a map', encodeFrame([1, 2, 3])],
    ['a map without a rid', encodeFrame({ type: 'leave', id: 'x' })],
  ])('closes the connection on %s, and keeps serving others', async (_what, bytes) => {
    const cluster = use(await serve(), (c) => c.close());
    const bad = await membershipPeer(cluster.address);
    const good = await membershipPeer(cluster.address);
    bad.write(bytes);
    expect((await bad.waitClosed()).length).toBe(0);
    good.write(encodeRequest({ type: 'leave', rid: 1, id: 'n9' }));
    expect(await response(good)).toMatchObject({ rid: 1, ok: true });
  });

  it('refuses a connection that does not start with the magic', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const peer = use(await RawPeer.connect(await server.listen()), (p) => p.close());
    peer.write('GET / HTTP/1.1\r\n\r\n');
    const left = await peer.waitClosed();
    expect(left[0]).toBe(ReplyStatus.BadPreamble);
  });

  it.each([
    ['an unsupported version', Buffer.from([0x52, 0x46, 0x54, 0x4d, 9, 1, 0, 0]), ReplyStatus.UnsupportedVersion],
    ['an unknown channel', Buffer.from([0x52, 0x46, 0x54, 0x4d, 1, 7, 0, 0]), ReplyStatus.UnknownChannel],
    ['non-zero flags', Buffer.from([0x52, 0x46, 0x54, 0x4d, 1, 1, 4, 0]), ReplyStatus.BadPreamble],
    ['another cluster name', encodeHello(Channel.Membership, 'staging'), ReplyStatus.WrongCluster],
  ])('refuses %s with its status', async (_what, hello, status) => {
    const server = use(new MembershipServer({ clusterName: 'prod' }), (s) => s.close());
    const peer = use(await RawPeer.connect(await server.listen()), (p) => p.close());
    peer.write(hello);
    const left = await peer.waitClosed();
    expect(left[0]).toBe(status);
    if (status === ReplyStatus.UnsupportedVersion) expect([...left.subarray(1)]).toEqual([1, 1]);
  });

  it('drops a peer that says nothing within the preamble deadline', async () => {
    const server = use(new MembershipServer({ preambleTimeoutMs: 100 }), (s) => s.close());
    const peer = use(await RawPeer.connect(await server.listen()), (p) => p.close());
    peer.write(Buffer.from('RFT'));
    await peer.waitClosed(2_000);
    expect(peer.closed).toBe(true);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), { timeout: 2_000 });
  });

  it('closes idle membership connections, but not busy ones', async () => {
    const server = use(new MembershipServer({ idleTimeoutMs: 100 }), (s) => s.close());
    const address = await server.listen();
    const idle = await membershipPeer(address);
    const busy = await membershipPeer(address);
    busy.write(encodeRequest({ type: 'leave', rid: 1, id: 'x' }));
    await idle.waitClosed();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(busy.closed).toBe(false);
  });

  it('refuses connections past maxConnections with busy', async () => {
    const server = use(new MembershipServer({ maxConnections: 1 }), (s) => s.close());
    const address = await server.listen();
    await membershipPeer(address);
    const extra = use(await RawPeer.connect(address), (p) => p.close());
    extra.write(encodeHello(Channel.Membership));
    expect((await extra.waitClosed())[0]).toBe(ReplyStatus.Busy);
  });

  it('answers timeout for a request not done within requestTimeoutMs', async () => {
    const server = use(new MembershipServer({ requestTimeoutMs: 100 }), (s) => s.close());
    const peer = await membershipPeer(await server.listen());
    peer.write(encodeRequest({ type: 'leave', rid: 4, id: 'slow' }));
    expect(await response(peer)).toMatchObject({ rid: 4, ok: false, code: WireErrorCode.Timeout });
  });

  it('stops reading a connection with maxInFlight requests pending', async () => {
    const server = use(new MembershipServer({ maxInFlight: 2 }), (s) => s.close());
    const peer = await membershipPeer(await server.listen());
    peer.write(Buffer.concat([1, 2, 3, 4].map((rid) => encodeRequest({ type: 'leave', rid, id: `n${rid}` }))));
    const iterator = server.requests[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as ChangeRequest;
    const second = (await iterator.next()).value as ChangeRequest;
    const third = iterator.next();
    const raced = await Promise.race([third, new Promise((resolve) => setTimeout(() => resolve('paused'), 100))]);
    expect(raced).toBe('paused');
    first.done();
    expect(((await third).value as ChangeRequest).id).toBe('n3');
    second.done();
    expect(((await iterator.next()).value as ChangeRequest).id).toBe('n4');
  });

  it('on close answers a change not begun with shutting_down and one being made with timeout, ends requests and rejects accept()', async () => {
    const server = new MembershipServer({ closeGraceMs: 50 });
    const peer = await membershipPeer(await server.listen());
    peer.write(encodeRequest({ type: 'leave', rid: 3, id: 'n3' }));
    peer.write(encodeRequest({ type: 'leave', rid: 4, id: 'n4' }));
    const iterator = server.requests[Symbol.asyncIterator]();
    const taken = (await iterator.next()).value as ChangeRequest;
    expect(taken.id).toBe('n3');
    const accepting = server.accept().catch((err: unknown) => err);
    await server.close();
    const answers = [await response(peer), await response(peer)].sort((a, b) => a.rid - b.rid);
    expect(answers[0]).toMatchObject({ rid: 3, ok: false, code: WireErrorCode.Timeout, message: expect.stringMatching(/outcome is unknown/) });
    expect(answers[1]).toMatchObject({ rid: 4, ok: false, code: WireErrorCode.ShuttingDown });
    expect(await accepting).toBeInstanceOf(ShuttingDownError);
    await expect(server.accept()).rejects.toBeInstanceOf(ShuttingDownError);
    expect((await iterator.next()).done).toBe(true);
    await peer.waitClosed();
  });

  it('validates its options with errors that name them', () => {
    expect(() => new MembershipServer({ maxConnections: 0 })).toThrow(/maxConnections/);
    expect(() => new MembershipServer({ maxFrameSize: 1.5 })).toThrow(/maxFrameSize/);
    expect(() => new MembershipServer({ secret: '' })).toThrow(/secret/);
    expect(() => new MembershipServer({ clusterName: 'x'.repeat(256) })).toThrow(/clusterName/);
  });
});
