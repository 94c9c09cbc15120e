import { describe, expect, it } from 'vitest';
import { DiagnosticsChannel, TcpChanger, type ClientConnectionRefusedEvent, type ClientRedirectEvent } from '../../src/index.js';
import { EndpointMemory, MAX_REMEMBERED } from '../../src/client/endpoint-memory.js';
import { useChannelRecorder } from '../support/channel-recorder.js';
import { useCleanup } from '../support/cleanup.js';
import { deadAddress, silentServer } from '../support/dead-ends.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';

// A client that remembers (issue 12): the leader it reached and the seeds
// that failed, so that a dead or black-holed first seed costs one call, not
// every call, and calls go straight to the leader.

const use = useCleanup();
const SELF = '127.0.0.1:7999';

function changer(): TcpChanger {
  return use(new TcpChanger({ address: SELF, minBackoffMs: 5, maxBackoffMs: 40 }), (c) => c.close());
}

const record = useChannelRecorder();

describe('a client that remembers', () => {
  it('dials a refused first seed once, not on every call', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const dead = await deadAddress();
    const refused = record<ClientConnectionRefusedEvent>(DiagnosticsChannel.ClientConnectionRefused);
    const client = changer();
    for (const id of ['n1', 'n2', 'n3', 'n4']) await client.join(id, [dead, cluster.address], 3_000);
    expect(refused.filter((event) => event.target === dead)).toHaveLength(1);
    expect(cluster.raft.servers.size).toBe(4);
  });

  it('spends one attempt on a black-holed first seed (listening, never answering), then none', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const hole = await silentServer(use);
    const client = changer();
    await client.join('n1', [hole.address, cluster.address], 2_000);
    expect(hole.accepted()).toBe(1);
    for (const id of ['n2', 'n3', 'n4']) await client.join(id, [hole.address, cluster.address], 2_000);
    // A seed list the client has not seen before still puts the failing seed last.
    await client.leave('n4', [hole.address, cluster.address, '127.0.0.1:1'], 2_000);
    expect(hole.accepted()).toBe(1);
    expect([...cluster.raft.servers.keys()]).toEqual(['n1', 'n2', 'n3']);
  });

  it('goes straight to the leader it reached through a follower', async () => {
    const leader = use(await serve(), (c) => c.close());
    const follower = use(await serve({}, Object.assign(new FakeRaft(), { currentState: 'follower' as const, leaderAddress: leader.address })), (c) => c.close());
    const redirects = record<ClientRedirectEvent>(DiagnosticsChannel.ClientRedirect);
    const client = changer();
    for (const id of ['n1', 'n2', 'n3']) await client.join(id, follower.address, 2_000);
    expect(redirects).toHaveLength(1);
    expect(follower.server.connectionCount).toBe(1);
    expect(leader.raft.servers.size).toBe(3);
  });

  it('falls back to the seeds when the remembered leader is gone, and follows them to the new one', async () => {
    const first = await serve();
    const follower = use(await serve({}, Object.assign(new FakeRaft(), { currentState: 'follower' as const, leaderAddress: first.address })), (c) => c.close());
    const client = changer();
    await client.join('n1', follower.address, 2_000);
    await first.close();
    const second = use(await serve(), (c) => c.close());
    follower.raft.leaderAddress = second.address;
    await client.join('n2', follower.address, 3_000);
    expect(second.raft.servers.has('n2')).toBe(true);
    // And remembers the new leader in turn.
    const redirects = record<ClientRedirectEvent>(DiagnosticsChannel.ClientRedirect);
    await client.join('n3', follower.address, 2_000);
    expect(redirects).toHaveLength(0);
  });

  it('does not take a seed that never answered for a member of the cluster the others lead to', () => {
    const memory = new EndpointMemory();
    memory.failed('dead:1');
    memory.reached(['dead:1', 'seed:1'], 'seed:1', 'leader:1');
    expect(memory.order(['dead:1'])).toEqual(['dead:1']);
    expect(memory.order(['dead:1', 'seed:1'])).toEqual(['leader:1', 'seed:1', 'dead:1']);
    expect(memory.order(['other:1', 'seed:1'])).toEqual(['leader:1', 'other:1', 'seed:1']);
  });

  it('keeps its memory bounded: past the cap the oldest entries go', () => {
    const memory = new EndpointMemory();
    memory.failed('first:1');
    expect(memory.order(['first:1', 'b:1'])).toEqual(['b:1', 'first:1']);
    for (let i = 0; i < MAX_REMEMBERED; i++) memory.failed(`s${i}:1`);
    expect(memory.order(['first:1', 'b:1'])).toEqual(['first:1', 'b:1']);
    memory.reached(['seed:1'], 'seed:1', 'leader:1');
    for (let i = 0; i < MAX_REMEMBERED; i++) memory.reached([`t${i}:1`], `t${i}:1`, 'other:1');
    expect(memory.order(['seed:1'])).toEqual(['seed:1']);
  });
});
