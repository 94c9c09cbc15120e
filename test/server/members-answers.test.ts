import { describe, expect, it } from 'vitest';
import { MembershipServer, TcpChanger, WireErrorCode, handleChangeRequests, type ConfigurationServer, type Logger, type RaftConfiguration } from '../../src/index.js';
import { MAX_REQUEST_ID, MEMBERS_PAGE_BYTES, decodeResponse, encodeRequest, type MembersResponse, type ResponseMessage } from '../../src/protocol/messages.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { membershipPeer, type RawPeer } from '../support/raw-peer.js';

const use = useCleanup();

async function peerOf(address: string): Promise<RawPeer> {
  return use(await membershipPeer(address), (p) => p.close());
}

/** Sends a `members` request and reads its answer, checking the frame's size on the way. */
async function members(peer: RawPeer, rid: number, offset = 0): Promise<ResponseMessage> {
  peer.write(encodeRequest({ type: 'members', rid, offset }));
  const payload = await peer.readFrame();
  expect(payload.length).toBeLessThanOrEqual(MEMBERS_PAGE_BYTES);
  return decodeResponse(payload);
}

function manyServers(n: number): ConfigurationServer[] {
  return Array.from({ length: n }, (_, i) => ({ id: `server-${i}-`.padEnd(100, 'x'), address: `10.0.${i >> 8}.${i & 255}:7000`, role: 'voter' }));
}

describe('members answers', () => {
  it('are redirected by a follower that was only given to handleChangeRequests', async () => {
    const raft = new FakeRaft();
    raft.currentState = 'follower';
    raft.leaderAddress = '127.0.0.1:7001';
    const follower = use(await serve({}, raft), (c) => c.close());
    const peer = await peerOf(follower.address);
    expect(await members(peer, 1)).toEqual({ rid: 1, ok: false, code: WireErrorCode.DifferentLeader, message: expect.any(String), leader: '127.0.0.1:7001' });
    raft.leaderAddress = '';
    expect(await members(peer, 2)).toMatchObject({ rid: 2, ok: false, code: WireErrorCode.UnknownLeader });
  });

  it('are redirected by a follower whose raft reports no configuration; its leader answers unsupported', async () => {
    const raft = { state: () => 'follower' as const, leader: () => '127.0.0.1:7001', addVoter: async () => 1, removeServer: async () => 1 };
    const follower = new MembershipServer();
    const loop = handleChangeRequests(raft, follower.requests);
    use(follower, async (s) => (await s.close(), await loop));
    const address = await follower.listen();
    const peer = await peerOf(address);
    expect(await members(peer, 1)).toMatchObject({ code: WireErrorCode.DifferentLeader, leader: '127.0.0.1:7001' });
    raft.state = () => 'leader' as 'follower';
    expect(await members(peer, 2)).toMatchObject({ code: WireErrorCode.Unsupported, message: expect.stringMatching(/does not report its configuration/) });
  });

  it('come in pages of at most 64 KiB that a dialer follows to the whole configuration', async () => {
    const raft = new FakeRaft();
    const all = manyServers(2_000);
    for (const server of all) raft.servers.set(server.id, server);
    const leader = use(await serve({}, raft), (c) => c.close());
    const peer = await peerOf(leader.address);
    const seen: ConfigurationServer[] = [];
    let offset: number | undefined = 0;
    let pages = 0;
    while (offset !== undefined) {
      const page = (await members(peer, MAX_REQUEST_ID - pages, offset)) as MembersResponse;
      expect(page.ok).toBe(true);
      seen.push(...page.members);
      offset = page.next;
      pages += 1;
    }
    expect(pages).toBeGreaterThanOrEqual(4);
    expect(seen).toEqual(all);
    expect(await members(peer, 9, all.length)).toEqual({ rid: 9, ok: true, members: [] });
    // The library's own dialer, reading frames of at most 64 KiB, follows the pages too.
    const reader = use(new TcpChanger(), (c) => c.close());
    expect((await reader.members(leader.address, 10_000)).members).toEqual(all);
  });

  it('follow the configuration as its index changes, and without an index as its servers change', async () => {
    let configuration: RaftConfiguration = { index: 4, servers: [{ id: 'n1', address: '127.0.0.1:7001', role: 'voter' }] };
    const indexed = Object.assign(new FakeRaft(), { configuration: () => configuration });
    const leader = use(await serve({}, indexed), (c) => c.close());
    const peer = await peerOf(leader.address);
    expect(await members(peer, 1)).toEqual({ rid: 1, ok: true, index: 4, members: configuration.servers });
    expect(await members(peer, 2)).toEqual({ rid: 2, ok: true, index: 4, members: configuration.servers });
    configuration = { index: 5, servers: [...configuration.servers, { id: 'n2', address: '127.0.0.1:7002', role: 'nonvoter' }] };
    expect(await members(peer, 3)).toEqual({ rid: 3, ok: true, index: 5, members: configuration.servers });

    // A raft that hands out the same objects and changes them in place.
    const server = { id: 'n1', address: '127.0.0.1:7001', role: 'voter' as 'voter' | 'nonvoter' };
    const list = [server];
    const plain = Object.assign(new FakeRaft(), { configuration: () => list });
    const other = use(await serve({}, plain), (c) => c.close());
    const otherPeer = await peerOf(other.address);
    expect(await members(otherPeer, 1)).toEqual({ rid: 1, ok: true, members: [{ ...server }] });
    server.role = 'nonvoter';
    expect(await members(otherPeer, 2)).toEqual({ rid: 2, ok: true, members: [{ ...server }] });
  });

  it('are internal errors, logged, when the raft fails to read its configuration', async () => {
    const errors: unknown[] = [];
    const logger: Logger = { error: (fields, message) => errors.push({ message, fields }) };
    const broken = Object.assign(new FakeRaft(), {
      configuration: () => {
        throw new Error('disk on fire');
      },
    });
    const leader = use(await serve({ logger }, broken), (c) => c.close());
    const peer = await peerOf(leader.address);
    expect(await members(peer, 1)).toEqual({ rid: 1, ok: false, code: WireErrorCode.Internal, message: 'internal error' });
    expect(errors).toContainEqual({ message: 'reading the configuration failed', fields: { error: 'disk on fire' } });
  });

  it('are internal errors, logged, when the raft reports a server a dialer could not decode', async () => {
    const errors: { message: string; fields: unknown }[] = [];
    const logger: Logger = { error: (fields, message) => errors.push({ message: message ?? '', fields }) };
    const raft = new FakeRaft();
    const leader = use(await serve({ logger }, raft), (c) => c.close());
    const peer = await peerOf(leader.address);
    raft.servers.set('n1', { id: 'n1', address: '127.0.0.1:7001', role: 'voter' });
    raft.servers.set('n2', { id: 'n2', address: 'no-port-here', role: 'voter' });
    expect(await members(peer, 1)).toEqual({ rid: 1, ok: false, code: WireErrorCode.Internal, message: 'internal error' });
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0]!.fields)).toContain('members[1]');
    // Fixed in the raft: the next request is answered, on the same connection.
    raft.servers.set('n2', { id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
    expect(await members(peer, 2)).toMatchObject({ rid: 2, ok: true, members: [{ id: 'n1' }, { id: 'n2' }] });
  });

  it('come from serveConfiguration() in place of the raft handleChangeRequests was given, until it is undefined', async () => {
    const raft = new FakeRaft();
    raft.servers.set('n1', { id: 'n1', address: '127.0.0.1:7001', role: 'voter' });
    const leader = use(await serve({}, raft), (c) => c.close());
    const other = new FakeRaft();
    other.servers.set('x', { id: 'x', address: '127.0.0.1:7009', role: 'voter' });
    const peer = await peerOf(leader.address);
    leader.server.serveConfiguration(other);
    expect(await members(peer, 1)).toMatchObject({ members: [{ id: 'x' }] });
    leader.server.serveConfiguration(undefined);
    expect(await members(peer, 2)).toMatchObject({ members: [{ id: 'n1' }] });
  });
});
