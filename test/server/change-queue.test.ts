import { describe, expect, it, vi } from 'vitest';
import { MembershipServer, WireErrorCode, handleChangeRequests, type Logger, type MembershipServerOptions } from '../../src/index.js';
import { decodeResponse, encodeRequest, type RequestMessage, type ResponseMessage } from '../../src/protocol/messages.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { membershipPeer, type RawPeer } from '../support/raw-peer.js';

const use = useCleanup();

/** A server whose requests a FakeRaft behind a gate handles: changes wait until `open()`. */
async function gatedServer(options: MembershipServerOptions = {}) {
  const raft = new FakeRaft();
  let open!: () => void;
  raft.gate = new Promise((resolve) => (open = resolve));
  const server = new MembershipServer(options);
  const loop = handleChangeRequests(raft, server.requests);
  use(server, async (s) => {
    open();
    await s.close();
    await loop;
  });
  const address = await server.listen();
  return { raft, server, address, loop, open: () => open() };
}

async function peerOf(address: string): Promise<RawPeer> {
  return use(await membershipPeer(address), (p) => p.close());
}

async function ask(peer: RawPeer, request: RequestMessage): Promise<ResponseMessage> {
  peer.write(encodeRequest(request));
  return decodeResponse(await peer.readFrame(5_000));
}

const join = (rid: number, id: string, address = '127.0.0.1:7002', role: 'voter' | 'nonvoter' = 'voter'): RequestMessage => ({ type: 'join', rid, id, address, role });

/** Resolves once raft was asked `n` calls. */
async function calls(raft: FakeRaft, n: number): Promise<void> {
  await vi.waitFor(() => expect(raft.calls.length).toBeGreaterThanOrEqual(n), { timeout: 5_000 });
}

describe('the server\'s request queue', () => {
  it('gives an identical change in flight its outcome instead of making it again', async () => {
    const { raft, address, open } = await gatedServer();
    const first = ask(await peerOf(address), join(1, 'n2'));
    await calls(raft, 1);
    const retry = ask(await peerOf(address), join(7, 'n2'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    expect(await first).toEqual({ rid: 1, ok: true, index: 2 });
    expect(await retry).toEqual({ rid: 7, ok: true, index: 2 });
    expect(raft.calls).toEqual(['addVoter n2 127.0.0.1:7002 0 10000']);
  });

  it('gives an identical change queued behind a slow one its outcome, one raft call for all of them', async () => {
    const { raft, address, open } = await gatedServer();
    const slow = ask(await peerOf(address), join(1, 'n1', '127.0.0.1:7001'));
    await calls(raft, 1);
    const peers = [await peerOf(address), await peerOf(address), await peerOf(address)];
    const copies = peers.map((peer, i) => ask(peer, join(10 + i, 'n2')));
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    expect(await slow).toMatchObject({ ok: true });
    expect(await Promise.all(copies)).toEqual([10, 11, 12].map((rid) => ({ rid, ok: true, index: 3 })));
    expect(raft.calls).toEqual(['addVoter n1 127.0.0.1:7001 0 10000', 'addVoter n2 127.0.0.1:7002 0 10000']);
  });

  it('makes changes that differ in address or role, or that another change of the same id separates, each in turn', async () => {
    const raft = new FakeRaft({ nonvoters: true });
    let open!: () => void;
    raft.gate = new Promise((resolve) => (open = resolve));
    const server = new MembershipServer();
    const loop = handleChangeRequests(raft, server.requests);
    use(server, async (s) => (open(), await s.close(), await loop));
    const peer = await peerOf(await server.listen());
    const block = ask(peer, join(1, 'blocker', '127.0.0.1:7000'));
    await calls(raft, 1);
    const answers = Promise.all([
      ask(await peerOf(server.address()), join(2, 'n2')),
      ask(await peerOf(server.address()), join(3, 'n2', '127.0.0.1:7003')),
      ask(await peerOf(server.address()), join(4, 'n2', '127.0.0.1:7003', 'nonvoter')),
      ask(await peerOf(server.address()), { type: 'leave', rid: 5, id: 'n2' }),
      ask(await peerOf(server.address()), join(6, 'n2', '127.0.0.1:7003', 'nonvoter')),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    await block;
    expect((await answers).every((a) => a.ok)).toBe(true);
    expect(raft.calls.slice(1)).toEqual([
      'addVoter n2 127.0.0.1:7002 0 10000',
      'addVoter n2 127.0.0.1:7003 0 10000',
      'addNonvoter n2 127.0.0.1:7003 0 10000',
      'removeServer n2 0 10000',
      'addNonvoter n2 127.0.0.1:7003 0 10000',
    ]);
    expect(raft.servers.get('n2')).toEqual({ id: 'n2', address: '127.0.0.1:7003', role: 'nonvoter' });
  });

  it('skips a queued change whose clients all gave up, and makes one that a client still waits for', async () => {
    const { raft, address, open } = await gatedServer();
    const slow = ask(await peerOf(address), join(1, 'n1', '127.0.0.1:7001'));
    await calls(raft, 1);
    const quitter = await peerOf(address);
    quitter.write(encodeRequest(join(2, 'gone', '127.0.0.1:7009')));
    const leaver = await peerOf(address);
    leaver.write(encodeRequest(join(3, 'n2')));
    const stayer = ask(await peerOf(address), join(4, 'n2'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    quitter.close();
    leaver.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    await slow;
    expect(await stayer).toEqual({ rid: 4, ok: true, index: 3 });
    expect(raft.calls).toEqual(['addVoter n1 127.0.0.1:7001 0 10000', 'addVoter n2 127.0.0.1:7002 0 10000']);
  });

  it('lets a client whose wait ran out go without ending the change for a later client', async () => {
    const { raft, address, open } = await gatedServer({ requestTimeoutMs: 1_000 });
    const early = ask(await peerOf(address), join(1, 'n2'));
    await calls(raft, 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const late = ask(await peerOf(address), join(2, 'n2'));
    expect(await early).toMatchObject({ rid: 1, ok: false, code: WireErrorCode.Timeout, message: expect.stringMatching(/raft was still making it; its outcome is unknown/) });
    open();
    expect(await late).toEqual({ rid: 2, ok: true, index: 2 });
    expect(raft.calls).toHaveLength(1);
  });

  it('says in the timeout, and in the log, that nothing consumes server.requests', async () => {
    const warnings: string[] = [];
    const logger: Logger = { warn: (_fields, message) => warnings.push(message) };
    const server = use(new MembershipServer({ requestTimeoutMs: 100, logger }), (s) => s.close());
    const peer = await peerOf(await server.listen());
    const answer = await ask(peer, join(1, 'n2'));
    const hint = 'nothing consumes server.requests: call handleChangeRequests(raft, server.requests)';
    expect(answer).toMatchObject({ ok: false, code: WireErrorCode.Timeout });
    expect((answer as { message: string }).message).toContain(hint);
    // Said once when the request arrives (a client's deadline may be shorter than the server's), then when it times out.
    expect(warnings).toEqual([`change request waiting: ${hint}`, `request timed out: ${hint}`]);
    expect(await ask(peer, join(2, 'n3'))).toMatchObject({ ok: false, code: WireErrorCode.Timeout });
    expect(warnings).toEqual([`change request waiting: ${hint}`, `request timed out: ${hint}`, `request timed out: ${hint}`]);
  });

  it('says so too once handleChangeRequests was stopped', async () => {
    const server = use(new MembershipServer({ requestTimeoutMs: 100 }), (s) => s.close());
    const stop = new AbortController();
    const loop = handleChangeRequests(new FakeRaft(), server.requests, { signal: stop.signal });
    const peer = await peerOf(await server.listen());
    expect(await ask(peer, join(1, 'n2'))).toMatchObject({ ok: true });
    stop.abort();
    await loop;
    expect(await ask(peer, join(2, 'n3'))).toMatchObject({ ok: false, code: WireErrorCode.Timeout, message: expect.stringContaining('nothing consumes server.requests') });
  });
});

describe('fairness between peers', () => {
  it('takes queued changes one peer at a time: a peer with many queued delays another\'s by one of its own', async () => {
    const { raft, address, open } = await gatedServer();
    const flood = use(await membershipPeer(address, '127.0.0.2'), (p) => p.close());
    flood.write(Buffer.concat(Array.from({ length: 20 }, (_, i) => encodeRequest({ type: 'leave', rid: i + 1, id: `ghost-${i}` }))));
    // The first is in flight (raft's gate is shut); the other 19 wait in the flood's lane.
    await calls(raft, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const quiet = use(await membershipPeer(address, '127.0.0.3'), (p) => p.close());
    const answered = ask(quiet, join(1, 'n2'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    open();
    expect(await answered).toMatchObject({ rid: 1, ok: true });
    await calls(raft, 21);
    // Behind the change in flight and one more of the flood's, not behind all 19.
    expect(raft.calls.findIndex((call) => call.startsWith('addVoter n2'))).toBeLessThanOrEqual(2);
  });
});

describe('closing the server', () => {
  it('answers a change not begun with shutting_down without raft hearing of it, and lets the change being made finish', async () => {
    const { raft, server, address, loop, open } = await gatedServer({ closeGraceMs: 10_000 });
    const inFlight = ask(await peerOf(address), join(1, 'n1', '127.0.0.1:7001'));
    await calls(raft, 1);
    const queued = ask(await peerOf(address), join(2, 'n2'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = server.close();
    expect(await queued).toMatchObject({ rid: 2, ok: false, code: WireErrorCode.ShuttingDown });
    open();
    expect(await inFlight).toEqual({ rid: 1, ok: true, index: 2 });
    await closing;
    await loop;
    expect(raft.calls).toEqual(['addVoter n1 127.0.0.1:7001 0 10000']);
    expect([...raft.servers.keys()]).toEqual(['n1']);
  });

  it('answers timeout for a change raft did not finish within closeGraceMs, and handleChangeRequests returns', async () => {
    const raft = new FakeRaft();
    raft.addVoter = () => new Promise<number>(() => undefined);
    const server = new MembershipServer({ closeGraceMs: 50 });
    const loop = handleChangeRequests(raft, server.requests);
    use(server, async (s) => (await s.close(), await loop));
    const inFlight = ask(await peerOf(await server.listen()), join(1, 'n1', '127.0.0.1:7001'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await server.close();
    expect(await inFlight).toMatchObject({ rid: 1, ok: false, code: WireErrorCode.Timeout, message: expect.stringMatching(/server closed while raft was still making the join of n1; its outcome is unknown/) });
    await loop;
  });
});
