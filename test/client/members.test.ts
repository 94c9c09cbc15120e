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
import { InvalidMessageError, decodeResponse, encodeHello, encodeRequest, type RequestMessage } from '../../src/protocol/index.js';
import { ScriptedServer } from './support/scripted-server.js';

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
      leader: cluster.address,
    });
  });

  it('reads a configuration it read before without reading its servers again: the same frozen objects, in a new array', async () => {
    const raft = new FakeRaft();
    for (let i = 1; i <= 20; i++) raft.servers.set(`n${i}`, { id: `n${i}`, address: `127.0.0.1:${7000 + i}`, role: 'voter' });
    const cluster = await servedWith(raft);
    const client = reader();
    const first = await client.members(cluster.address, 2_000);
    raft.servers.set('n5', { id: 'n5', address: '127.0.0.1:9005', role: 'voter' });
    const second = await client.members(cluster.address, 2_000);
    expect(second.members).toEqual([...raft.servers.values()]);
    expect(second.members).not.toBe(first.members);
    expect(second.members.filter((server, i) => server !== first.members[i]).map((server) => server.id)).toEqual(['n5']);
    expect(Object.isFrozen(second.members[0])).toBe(true);
  });

  it('passes the index on when the raft reports one', async () => {
    const raft = new FakeRaft();
    const withIndex = Object.assign(raft, {
      configuration: async (): Promise<RaftConfiguration> => ({ index: 17, servers: [{ id: 'n1', address: 'a:1', role: 'voter' }] }),
    });
    const cluster = await servedWith(withIndex);
    expect(await reader().members(cluster.address, 2_000)).toEqual({ index: 17, members: [{ id: 'n1', address: 'a:1', role: 'voter' }], leader: cluster.address });
  });

  it('follows a follower to the leader', async () => {
    const leaderRaft = new FakeRaft();
    leaderRaft.servers.set('n1', { id: 'n1', address: '127.0.0.1:7001', role: 'voter' });
    const leader = await servedWith(leaderRaft);
    const followerRaft = new FakeRaft();
    followerRaft.currentState = 'follower';
    followerRaft.leaderAddress = leader.address;
    const follower = await servedWith(followerRaft);
    const answer = await reader().members(follower.address, 2_000);
    expect(answer.members.map((m: ConfigurationServer) => m.id)).toEqual(['n1']);
    // The leader answered, and the answer says so: the CLI marks it.
    expect(answer.leader).toBe(leader.address);
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

describe('members in pages', () => {
  const server = (n: number) => ({ id: `n${n}`, address: `10.0.0.${n}:7000`, role: 'voter' as const });
  const all = Array.from({ length: 7 }, (_, i) => server(i + 1));

  /** Pages of three servers, as a leader cuts a configuration too large for one answer. */
  function pages(index: () => number | undefined) {
    return (request: RequestMessage) => {
      if (request.type !== 'members') throw new Error('members only');
      const offset = request.offset ?? 0;
      const members = all.slice(offset, offset + 3);
      const next = offset + 3 < all.length ? offset + 3 : undefined;
      const at = index();
      return { ok: true as const, members, ...(next === undefined ? {} : { next }), ...(at === undefined ? {} : { index: at }) };
    };
  }

  it('follows every next and returns the whole configuration', async () => {
    const leader = use(await ScriptedServer.start(pages(() => 42)), (s) => s.close());
    expect(await reader().members(leader.address, 2_000)).toEqual({ index: 42, members: all, leader: leader.address });
    expect(leader.requests.map((r) => (r.type === 'members' ? (r.offset ?? 0) : -1))).toEqual([0, 3, 6]);
  });

  it('starts again from the first page when the index changes in between', async () => {
    let calls = 0;
    // The configuration moves from index 5 to 6 after the first page was read.
    const leader = use(await ScriptedServer.start(pages(() => (++calls <= 1 ? 5 : 6))), (s) => s.close());
    expect(await reader().members(leader.address, 2_000)).toEqual({ index: 6, members: all, leader: leader.address });
    expect(leader.requests.map((r) => (r.type === 'members' ? (r.offset ?? 0) : -1))).toEqual([0, 3, 0, 3, 6]);
  });

  it('gives up on a configuration that changes between every pair of pages, after a bounded number of tries', async () => {
    let index = 0;
    const leader = use(await ScriptedServer.start(pages(() => ++index)), (s) => s.close());
    const error = await reader().members(leader.address, 5_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MembershipTimeoutError);
    expect((error as Error).message).toMatch(/changed 9 times while its pages were read/);
    expect(leader.requests).toHaveLength(18);
  });

  it('refuses a page whose next does not follow from it, rather than loop', async () => {
    const leader = use(await ScriptedServer.start(() => ({ ok: true, members: [server(1)], next: 0 })), (s) => s.close());
    const error = await reader().members(leader.address, 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect(leader.requests).toHaveLength(1);
  });
});
