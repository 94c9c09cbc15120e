import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { ChangeRejectedError, DiagnosticsChannel, MembershipServer, TcpChanger, type ChangeRequest } from '../../src/index.js';
import { decodeResponse, encodeFrame, encodeRequest } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { membershipPeer } from '../support/raw-peer.js';

const use = useCleanup();

/** Subscribes to every channel, recording `[channel, payload]` in order. */
function record(): Array<[string, Record<string, unknown>]> {
  const events: Array<[string, Record<string, unknown>]> = [];
  for (const name of Object.values(DiagnosticsChannel)) {
    const listener = (message: unknown): void => void events.push([name, message as Record<string, unknown>]);
    subscribe(name, listener);
    subscriptions.push(() => unsubscribe(name, listener));
  }
  return events;
}
let subscriptions: Array<() => void> = [];
afterEach(() => {
  for (const undo of subscriptions) undo();
  subscriptions = [];
});

const of = (events: Array<[string, Record<string, unknown>]>, name: string) => events.filter(([n]) => n === name).map(([, e]) => e);

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('diagnostics channels', () => {
  it('report a request received and answered, and both ends of the connection, with timings', async () => {
    const events = record();
    const cluster = use(await serve(), (c) => c.close());
    const changer = new TcpChanger({ address: '127.0.0.1:7999' });
    expect(await changer.join('n2', cluster.address, 2_000)).toBe(2);
    changer.close();
    await until(() => of(events, DiagnosticsChannel.ServerConnectionClose).length > 0 && of(events, DiagnosticsChannel.ClientConnectionClose).length > 0);

    const [request] = of(events, DiagnosticsChannel.ServerRequest);
    expect(request).toMatchObject({ type: 'join', id: 'n2', address: '127.0.0.1:7999', role: 'voter', rid: 1, remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const [response] = of(events, DiagnosticsChannel.ServerResponse);
    expect(response).toMatchObject({ rid: 1, ok: true, index: 2, request: { type: 'join', id: 'n2' } });
    expect(response!.durationMs).toBeGreaterThanOrEqual(0);

    expect(of(events, DiagnosticsChannel.ServerConnectionOpen)).toEqual([expect.objectContaining({ channel: 'membership', durationMs: expect.any(Number) })]);
    expect(of(events, DiagnosticsChannel.ClientConnectionOpen)).toEqual([
      expect.objectContaining({ target: cluster.address, channel: 'membership', durationMs: expect.any(Number) }),
    ]);
    expect(of(events, DiagnosticsChannel.ClientConnectionClose)[0]).toMatchObject({ target: cluster.address, hadError: false });
    expect(of(events, DiagnosticsChannel.ServerConnectionClose)[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('report a failed request with its wire code', async () => {
    const events = record();
    const raft = new FakeRaft();
    raft.failNext = new ChangeRejectedError('address in use');
    const cluster = use(await serve({}, raft), (c) => c.close());
    const changer = use(new TcpChanger({ address: '127.0.0.1:7999' }), (c) => c.close());
    await expect(changer.join('n2', cluster.address, 2_000)).rejects.toBeInstanceOf(ChangeRejectedError);
    expect(of(events, DiagnosticsChannel.ServerResponse)).toEqual([expect.objectContaining({ ok: false, code: 'rejected' })]);
  });

  it('report redirects and retries on the client', async () => {
    const events = record();
    const leader = use(await serve(), (c) => c.close());
    const followerRaft = new FakeRaft();
    followerRaft.currentState = 'follower';
    followerRaft.leaderAddress = leader.address;
    const follower = use(await serve({}, followerRaft), (c) => c.close());
    const electing = new FakeRaft();
    electing.currentState = 'candidate';
    const candidate = use(await serve({}, electing), (c) => c.close());

    const changer = use(new TcpChanger({ address: '127.0.0.1:7999', minBackoffMs: 5, maxBackoffMs: 20 }), (c) => c.close());
    await changer.join('n2', [candidate.address, follower.address], 2_000);
    expect(of(events, DiagnosticsChannel.ClientRetry)[0]).toMatchObject({
      request: { type: 'join', id: 'n2' },
      attempt: 1,
      error: expect.objectContaining({ code: 'ERR_UNKNOWN_LEADER' }),
      elapsedMs: expect.any(Number),
    });
    expect(of(events, DiagnosticsChannel.ClientRedirect)).toEqual([
      { request: { type: 'join', id: 'n2' }, from: follower.address, leader: leader.address, hops: 1 },
    ]);
  });

  it('report refused connections on both sides', async () => {
    const events = record();
    const server = use(new MembershipServer({ clusterName: 'prod' }), (s) => s.close());
    const address = await server.listen(0);
    const changer = use(new TcpChanger({ clusterName: 'test' }), (c) => c.close());
    await expect(changer.leave('n2', address, 1_000)).rejects.toThrow(/wrong_cluster/);
    await until(() => of(events, DiagnosticsChannel.ServerConnectionRefused).length > 0);
    expect(of(events, DiagnosticsChannel.ServerConnectionRefused)[0]).toMatchObject({ status: 'wrong_cluster', durationMs: expect.any(Number) });
    expect(of(events, DiagnosticsChannel.ClientConnectionRefused)[0]).toMatchObject({
      target: address,
      channel: 'membership',
      error: expect.objectContaining({ code: 'ERR_HANDSHAKE_REFUSED' }),
    });
  });

  it('report raft streams opened on both sides', async () => {
    const events = record();
    const server = use(new MembershipServer(), (s) => s.close());
    const address = await server.listen(0);
    const changer = use(new TcpChanger(), (c) => c.close());
    const [outbound, inbound] = await Promise.all([changer.dial(address, 2_000), server.accept()]);
    outbound.destroy();
    inbound.destroy();
    expect(of(events, DiagnosticsChannel.ServerConnectionOpen)).toEqual([expect.objectContaining({ channel: 'raft' })]);
    expect(of(events, DiagnosticsChannel.ClientConnectionOpen)).toEqual([expect.objectContaining({ channel: 'raft', target: address })]);
  });

  it('publish nothing, and hold nothing, while nobody subscribes', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const changer = use(new TcpChanger({ address: '127.0.0.1:7999' }), (c) => c.close());
    await changer.join('n2', cluster.address, 2_000);
    // A subscriber sees only what happens after it subscribed: the pooled
    // connection was opened before, so no connection event.
    const events = record();
    await changer.leave('n2', cluster.address, 2_000);
    expect(events.map(([name]) => name)).toEqual([DiagnosticsChannel.ServerRequest, DiagnosticsChannel.ServerResponse]);
  });

  it('report bad_request answers, and leave the answer to the request in flight under that rid whole', async () => {
    const events = record();
    const server = use(new MembershipServer(), (s) => s.close());
    const peer = use(await membershipPeer(await server.listen()), (p) => p.close());
    const requests = server.requests[Symbol.asyncIterator]();
    peer.write(encodeRequest({ type: 'leave', rid: 9, id: 'a' }));
    const first = (await requests.next()).value as ChangeRequest;
    peer.write(encodeRequest({ type: 'leave', rid: 9, id: 'b' }));
    expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 9, code: 'bad_request' });
    peer.write(encodeFrame({ type: 'rename', rid: 10, id: 'c' }));
    expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 10, code: 'bad_request' });
    first.done(null, 4);
    expect(decodeResponse(await peer.readFrame())).toEqual({ rid: 9, ok: true, index: 4 });

    expect(of(events, DiagnosticsChannel.ServerRequest)).toEqual([expect.objectContaining({ rid: 9, type: 'leave', id: 'a' })]);
    const responses = of(events, DiagnosticsChannel.ServerResponse).map(({ socket: _socket, ...rest }) => rest);
    expect(responses).toEqual([
      { remote: expect.any(String), rid: 9, ok: false, code: 'bad_request' },
      { remote: expect.any(String), rid: 10, ok: false, code: 'bad_request' },
      { remote: expect.any(String), rid: 9, ok: true, index: 4, request: { type: 'leave', id: 'a' }, durationMs: expect.any(Number) },
    ]);
  });

  it.each([
    ['an oversized length', Buffer.from([0x00, 0x01, 0x00, 0x01]), 'ERR_FRAME_TOO_LARGE'],
    ['bytes that are not MessagePack', Buffer.from([0, 0, 0, 1, 0xc1]), 'ERR_MALFORMED_FRAME'],
    ['a map without a rid', encodeFrame({ type: 'leave', id: 'x' }), 'ERR_INVALID_MESSAGE'],
  ])('report a connection dropped for %s, with the reason, before its close', async (_what, bytes, code) => {
    const events = record();
    const server = use(new MembershipServer(), (s) => s.close());
    const peer = use(await membershipPeer(await server.listen()), (p) => p.close());
    peer.write(bytes);
    await peer.waitClosed();
    await until(() => of(events, DiagnosticsChannel.ServerConnectionClose).length > 0);
    const [dropped, ...more] = of(events, DiagnosticsChannel.ServerProtocolError);
    expect(more).toEqual([]);
    expect(dropped).toEqual({ socket: expect.anything(), remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/), reason: expect.any(String), error: expect.objectContaining({ code }) });
    expect(dropped!.reason).toBe((dropped!.error as Error).message);
    const names = events.map(([name]) => name);
    expect(names.indexOf(DiagnosticsChannel.ServerProtocolError)).toBeLessThan(names.indexOf(DiagnosticsChannel.ServerConnectionClose));
    expect(of(events, DiagnosticsChannel.ServerResponse)).toEqual([]);
  });
});
