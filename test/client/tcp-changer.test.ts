import { describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  ChangeRejectedError,
  DifferentLeaderError,
  HandshakeRefusedError,
  InvalidAddressError,
  InvalidOptionError,
  MembershipServer,
  MembershipTimeoutError,
  ShuttingDownError,
  TcpChanger,
  UnknownLeaderError,
  UnsupportedRoleError,
  type ChangeRequest,
} from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { deadAddress, silentServer as silentServerWithCount } from '../support/dead-ends.js';

const use = useCleanup();
const SELF = '127.0.0.1:7999';

function changer(options: Partial<ConstructorParameters<typeof TcpChanger>[0]> = {}): TcpChanger {
  return use(new TcpChanger({ address: SELF, minBackoffMs: 5, maxBackoffMs: 40, ...options }), (c) => c.close());
}

async function silentServer(): Promise<string> {
  return (await silentServerWithCount(use)).address;
}

describe('TcpChanger', () => {
  it('joins and leaves through the leader, resolving to the configuration index', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const client = changer();
    expect(await client.join('n2', cluster.address, 2_000)).toBe(2);
    expect(cluster.raft.servers.get('n2')).toEqual({ id: 'n2', address: SELF, role: 'voter' });
    expect(await client.leave('n2', cluster.address, 2_000)).toBe(3);
    expect(cluster.raft.servers.size).toBe(0);
  });

  it('asks for a non-voter role, and reports a cluster that cannot give it', async () => {
    const able = use(await serve({}, new FakeRaft({ nonvoters: true })), (c) => c.close());
    const plain = use(await serve(), (c) => c.close());
    const client = changer();
    await client.join('n5', able.address, { timeoutMs: 2_000, role: 'nonvoter' });
    expect(able.raft.servers.get('n5')?.role).toBe('nonvoter');
    await expect(client.join('n5', plain.address, { timeoutMs: 2_000, role: 'nonvoter' })).rejects.toBeInstanceOf(UnsupportedRoleError);
  });

  it('follows a follower to the leader', async () => {
    const leader = use(await serve(), (c) => c.close());
    const follower = use(await serve(), (c) => c.close());
    follower.raft.currentState = 'follower';
    follower.raft.leaderAddress = leader.address;
    const client = changer();
    await client.join('n3', follower.address, 2_000);
    expect(leader.raft.servers.has('n3')).toBe(true);
    expect(follower.raft.calls).toEqual([]);
  });

  it('backs off while no leader is known, then succeeds once one is', async () => {
    const cluster = use(await serve(), (c) => c.close());
    cluster.raft.currentState = 'candidate';
    const client = changer();
    const joining = client.join('n4', cluster.address, 5_000);
    setTimeout(() => (cluster.raft.currentState = 'leader'), 150);
    await joining;
    expect(cluster.raft.servers.has('n4')).toBe(true);
  });

  it('times out while no leader is known, with the last error as cause', async () => {
    const cluster = use(await serve(), (c) => c.close());
    cluster.raft.currentState = 'candidate';
    const started = Date.now();
    const err = await changer().join('n4', cluster.address, 200).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MembershipTimeoutError);
    expect((err as Error).cause).toBeInstanceOf(UnknownLeaderError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('treats a redirect loop as no known leader and times out', async () => {
    const a = use(await serve(), (c) => c.close());
    const b = use(await serve(), (c) => c.close());
    Object.assign(a.raft, { currentState: 'follower', leaderAddress: b.address });
    Object.assign(b.raft, { currentState: 'follower', leaderAddress: a.address });
    const err = await changer().join('n4', a.address, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MembershipTimeoutError);
    expect((err as Error).cause).toBeInstanceOf(DifferentLeaderError);
  });

  it('fails at once on a final refusal', async () => {
    const cluster = use(await serve(), (c) => c.close());
    cluster.raft.failNext = new ChangeRejectedError('address 127.0.0.1:7999 belongs to n1');
    const err = await changer().join('n4', cluster.address, 5_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChangeRejectedError);
    expect((err as Error).message).toBe('address 127.0.0.1:7999 belongs to n1');
  });

  it('tries seed addresses in turn', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const client = changer();
    await client.join('n6', [await deadAddress(), cluster.address], 3_000);
    expect(cluster.raft.servers.has('n6')).toBe(true);
  });

  it('gives each of several seeds a share of the deadline, so a silent first seed does not stop the second', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const silent = await silentServer();
    const started = Date.now();
    await changer().join('n6', [silent, cluster.address], 2_000);
    expect(cluster.raft.servers.has('n6')).toBe(true);
    // The silent seed got its share (2000 / 3 ms), not the whole deadline.
    expect(Date.now() - started).toBeLessThan(1_900);
  });

  it('also moves on from a seed whose connection stops answering mid-call', async () => {
    const stalled = use(new MembershipServer(), (s) => s.close());
    const stalledAddress = await stalled.listen();
    const cluster = use(await serve(), (c) => c.close());
    // The stalled server takes the request and never answers it (nobody reads its requests).
    await expect(changer().leave('n7', [stalledAddress, cluster.address], 3_000)).resolves.toBe(1);
    expect(cluster.raft.calls).toContain('removeServer n7 0 10000');
  });

  it('pipelines concurrent calls on one pooled connection', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const client = changer();
    await client.join('warm', cluster.address, 2_000);
    const ids = Array.from({ length: 50 }, (_, i) => `p${i}`);
    await Promise.all(ids.map((id) => client.join(id, cluster.address, 5_000)));
    expect(cluster.server.connectionCount).toBe(1);
    expect(ids.every((id) => cluster.raft.servers.has(id))).toBe(true);
  });

  it('reconnects transparently after the server restarts on the same port', async () => {
    const first = await serve();
    const port = Number(first.address.split(':')[1]);
    const client = changer();
    await client.join('n7', first.address, 2_000);
    await first.close();
    const raft = new FakeRaft();
    const second = new MembershipServer();
    await second.listen(port, '127.0.0.1');
    const { handleChangeRequests } = await import('../../src/index.js');
    const loop = handleChangeRequests(raft, second.requests);
    use(second, async (s) => {
      await s.close();
      await loop;
    });
    await client.join('n8', first.address, 3_000);
    expect(raft.servers.has('n8')).toBe(true);
  });

  it('bounds the dial stage by the deadline', async () => {
    const silent = await silentServer();
    const err = await changer().join('n1', silent, 150).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MembershipTimeoutError);
    expect((err as Error).message).toMatch(/within 150 ms/);
  });

  it('bounds the wait for an answer by the deadline', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const address = await server.listen();
    const err = await changer().leave('n1', address, 150).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MembershipTimeoutError);
  });

  it('rejects with an AbortError whose cause is the abort reason when the caller aborts', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const address = await server.listen();
    const controller = new AbortController();
    const reason = new Error('operator gave up');
    const leaving = changer().leave('n1', address, { timeoutMs: 5_000, signal: controller.signal });
    setTimeout(() => controller.abort(reason), 30);
    const err = await leaving.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(err).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', message: 'leave of n1 was aborted' });
    expect((err as Error).cause).toBe(reason);
    // Aborted before the call: the same, at once; and for dial too.
    const dialing = changer().dial(address, { timeoutMs: 5_000, signal: AbortSignal.abort('no') });
    await expect(dialing).rejects.toMatchObject({ code: 'ABORT_ERR', cause: 'no' });
  });

  it('fails pending calls with ShuttingDownError on close()', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const address = await server.listen();
    const client = new TcpChanger({ address: SELF });
    const pending = client.leave('n1', address, 5_000);
    // Taken by the server's consumer: the server waits for it on the client's behalf.
    const taken: ChangeRequest = (await server.requests[Symbol.asyncIterator]().next()).value as ChangeRequest;
    expect(taken.id).toBe('n1');
    client.close();
    await expect(pending).rejects.toBeInstanceOf(ShuttingDownError);
    await expect(client.join('n1', address, 100)).rejects.toBeInstanceOf(ShuttingDownError);
  });

  it('refuses a cluster with another name without retrying', async () => {
    const cluster = use(await serve({ clusterName: 'prod' }), (c) => c.close());
    const err = await changer({ clusterName: 'staging' }).join('n1', cluster.address, 2_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeRefusedError);
    expect((err as HandshakeRefusedError).reason).toBe('wrong_cluster');
  });

  it('validates its options and arguments', async () => {
    expect(() => new TcpChanger({ address: 'nope' })).toThrow(InvalidOptionError);
    expect(() => new TcpChanger({ address: SELF, connectionsPerTarget: 0 })).toThrow(/connectionsPerTarget/);
    expect(() => new TcpChanger({ address: SELF, minBackoffMs: 100, maxBackoffMs: 10 })).toThrow(/maxBackoffMs/);
    const client = changer();
    await expect(client.join('n1', [], 100)).rejects.toThrow(/non-empty array/);
    await expect(client.join('n1', 'bad', 100)).rejects.toBeInstanceOf(InvalidAddressError);
    await expect(client.join('n1', SELF, 0)).rejects.toThrow(/timeout must be a number of milliseconds from 100/);
  });
});
