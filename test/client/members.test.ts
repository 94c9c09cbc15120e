import { describe, expect, it } from 'vitest';
import {
  InvalidOptionError,
  MembershipServer,
  MembershipTimeoutError,
  TcpChanger,
  UnsupportedRequestError,
  type ConfigurationServer,
  type RaftConfiguration,
} from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { RawPeer } from '../support/raw-peer.js';
import { encodeHello, encodeRequest, decodeResponse } from '../../src/protocol/index.js';

const use = useCleanup();

/** A changer without an address of its own: members needs none. */
function reader(): TcpChanger {
  return use(new TcpChanger({ minBackoffMs: 5, maxBackoffMs: 40 }), (c) => c.close());
}

async function servedWith(raft: FakeRaft) {
  const cluster = use(await serve({ requestTimeoutMs: 200 }, raft), (c) => c.close());
  cluster.server.serveConfiguration(raft);
  return cluster;
}

describe('members', () => {
  it('reads the configuration from the leader', async () => {
    const raft = new FakeRaft({ nonvoters: true });
    raft.servers.set('n1', { id: 'n1', address: '127.0.0.1:7001', role: 'voter' });
    raft.servers.set('n2', { id: 'n2', address: '127.0.0.1:7002', role: 'nonvoter' });
    const cluster = await servedWith(raft);
    expect(await reader().members(cluster.address, 2_000)).toEqual({
      members: [
        { id: 'n1', address: '127.0.0.1:7001', role: 'voter' },
        { id: 'n2', address: '127.0.0.1:7002', role: 'nonvoter' },
      ],
    });
  });

  it('passes the index on when the raft reports one', async () => {
    const raft = new FakeRaft();
    const withIndex = Object.assign(raft, {
      configuration: async (): Promise<RaftConfiguration> => ({ index: 17, servers: [{ id: 'n1', address: 'a:1', role: 'voter' }] }),
    });
    const cluster = await servedWith(withIndex);
    expect(await reader().members(cluster.address, 2_000)).toEqual({ index: 17, members: [{ id: 'n1', address: 'a:1', role: 'voter' }] });
  });

  it('follows a follower to the leader', async () => {
    const leaderRaft = new FakeRaft();
    leaderRaft.servers.set('n1', { id: 'n1', address: '127.0.0.1:7001', role: 'voter' });
    const leader = await servedWith(leaderRaft);
    const followerRaft = new FakeRaft();
    followerRaft.currentState = 'follower';
    followerRaft.leaderAddress = leader.address;
    const follower = await servedWith(followerRaft);
    expect((await reader().members(follower.address, 2_000)).members.map((m: ConfigurationServer) => m.id)).toEqual(['n1']);
  });

  it('is unsupported by a server that knows no raft, or whose raft has no configuration', async () => {
    const plain = use(new MembershipServer(), (s) => s.close());
    await expect(reader().members(await plain.listen(), 2_000)).rejects.toBeInstanceOf(UnsupportedRequestError);

    const raft = new FakeRaft();
    const cluster = use(await serve({}, raft), (c) => c.close());
    cluster.server.serveConfiguration({ state: () => 'leader', leader: () => '' });
    await expect(reader().members(cluster.address, 2_000)).rejects.toThrow(/does not report its configuration/);
  });

  it('times out when the configuration never comes', async () => {
    const raft = new FakeRaft();
    const stuck = Object.assign(raft, { configuration: () => new Promise<ConfigurationServer[]>(() => undefined) });
    const cluster = await servedWith(stuck);
    const error = await reader().members(cluster.address, 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MembershipTimeoutError);
    expect((error as Error).message).toMatch(/^members did not complete within 500 ms/);
    expect((error as Error).cause).toBeInstanceOf(MembershipTimeoutError);
  });

  it('answers pipelined members requests by rid, and a duplicate rid with bad_request', async () => {
    const raft = new FakeRaft();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = Object.assign(raft, { configuration: async () => (await gate, [{ id: 'n1', address: 'a:1', role: 'voter' as const }]) });
    const cluster = await servedWith(slow);
    const peer = use(await RawPeer.connect(cluster.address), (p) => p.close());
    peer.write(encodeHello(1));
    expect(await peer.read(2)).toEqual(Buffer.from([0, 0]));
    peer.write(Buffer.concat([encodeRequest({ type: 'members', rid: 1 }), encodeRequest({ type: 'members', rid: 1 })]));
    expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 1, ok: false, code: 'bad_request' });
    release();
    expect(decodeResponse(await peer.readFrame())).toEqual({ rid: 1, ok: true, members: [{ id: 'n1', address: 'a:1', role: 'voter' }] });
  });

  it('join needs the changer\'s own address; leave and members do not', async () => {
    const cluster = use(await serve(), (c) => c.close());
    await expect(reader().join('n9', cluster.address, 1_000)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(reader().leave('n9', cluster.address, 1_000)).resolves.toBe(1);
  });
});
