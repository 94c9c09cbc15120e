import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/index.js';
import { encodeFrame } from '../../src/protocol/msgpack.js';
import { EntryKind } from '../../reference/raft/log.js';
import { RpcType } from '../../reference/raft/messages.js';
import type { RaftNode } from '../../reference/raft/node.js';
import { useCluster, waitFor, type TestCluster } from './support/cluster.js';
import { FakeFollower, type Exchange } from './support/fake-follower.js';

const TIMEOUT = 5000;

const carriesConfiguration = (exchange: Exchange): boolean => exchange.request.entries.some((e) => e.kind === EntryKind.Configuration);

/** Slow timers, so that no RPC times out on a loaded machine, and no heartbeat comes within a change. */
const HEARTBEAT_MS = 2000;

/** A one-voter cluster with slow timers, elected at once rather than after 4 to 8 s: a TimeoutNow of its own term. */
async function soloLeader(cluster: TestCluster): Promise<RaftNode> {
  const node = await cluster.spawn('a', { bootstrap: true, electionTimeoutMs: 2 * HEARTBEAT_MS, heartbeatMs: HEARTBEAT_MS });
  const { host, port } = parseAddress(node.address);
  const socket = connect({ host, port }, () => socket.end(encodeFrame({ type: RpcType.TimeoutNow, term: node.term, leaderId: 'x' })));
  socket.on('error', () => undefined);
  try {
    await waitFor(() => node.state() === 'leader' && node.commitIndex > 1, 'the leader to take office');
  } finally {
    socket.destroy();
  }
  return node;
}

describe('RaftNode catches a joining server up cheaply', () => {
  const cluster = useCluster();
  const fakes: FakeFollower[] = [];
  afterEach(async () => {
    for (const fake of fakes.splice(0)) await fake.close();
  });
  const fake = async (): Promise<FakeFollower> => {
    const follower = await FakeFollower.listen();
    fakes.push(follower);
    return follower;
  };

  it('sends an empty joiner the whole of a short log in its first AppendEntries', async () => {
    const leader = await soloLeader(cluster());
    await leader.apply('an entry before the join', TIMEOUT);
    const joiner = await fake();
    const before = leader.lastIndex;
    await leader.addVoter('joiner', joiner.address, 0, TIMEOUT);
    const first = joiner.exchanges[0]!;
    expect(first.request.prevLogIndex).toBe(0);
    expect(first.request.entries.map((e) => e.index).at(-1)).toBe(before);
    expect(first.answer.success).toBe(true);
    // One round trip of catch-up, then the configuration entry that adds it.
    expect(carriesConfiguration(joiner.exchanges[1]!)).toBe(true);
    expect(joiner.exchanges.slice(0, 2).every((e) => e.answer.success)).toBe(true);
  });

  it('takes a server that left and comes back from where it was, on the connection it had', async () => {
    const leader = await soloLeader(cluster());
    const joiner = await fake();
    await leader.addVoter('joiner', joiner.address, 0, TIMEOUT);
    await leader.removeServer('joiner', 0, TIMEOUT);
    await waitFor(() => leader.configuration().every((s) => s.id !== 'joiner') && leader.commitIndex === leader.configurationIndex, 'the removal to commit');
    for (let i = 0; i < 3; i += 1) await leader.apply(`while away ${i}`, TIMEOUT);
    const held = joiner.terms.length;
    const seen = joiner.exchanges.length;
    await leader.addVoter('joiner', joiner.address, 0, TIMEOUT);
    const back = joiner.exchanges.slice(seen).filter((e) => e.request.entries.length > 0);
    expect(back[0]!.request.prevLogIndex).toBeLessThanOrEqual(held);
    expect(back[0]!.request.prevLogIndex).toBeGreaterThan(0);
    expect(back[0]!.answer.success).toBe(true);
    expect(carriesConfiguration(back[1]!)).toBe(true);
    expect(joiner.connections).toBe(1);
  });

  it('sends the configuration entry at once, and its commit within a quarter of a heartbeat, not at the next one', async () => {
    const node = await soloLeader(cluster());
    const joiner = await fake();
    // Half a heartbeat: a change or a commit that waited for the heartbeat timer would miss it.
    const index = await node.addVoter('joiner', joiner.address, 0, HEARTBEAT_MS / 2);
    await waitFor(() => joiner.exchanges.some((e) => e.request.leaderCommit >= index), 'the joiner to learn the commit', HEARTBEAT_MS / 2);
  });

  it('sends no commit notice of its own when the next request carries the commit', async () => {
    const node = await soloLeader(cluster());
    const joiner = await fake();
    const index = await node.addVoter('joiner', joiner.address, 0, TIMEOUT);
    // The next change comes a moment later, well within a quarter of a heartbeat.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const applied = await node.apply('the next change', TIMEOUT);
    const notices = joiner.exchanges.filter((e) => e.request.entries.length === 0 && e.request.leaderCommit >= index && e.request.leaderCommit < applied);
    expect(notices).toEqual([]);
    expect(joiner.exchanges.some((e) => e.request.leaderCommit >= index)).toBe(true);
  });

  it('probes back from the end of a log too long for one AppendEntries', async () => {
    const nodes = await cluster().build(1);
    const leader = nodes[0]!;
    for (let i = 0; i < 300; i += 1) await leader.apply(i, TIMEOUT);
    const joiner = await fake();
    await leader.addVoter('joiner', joiner.address, 0, TIMEOUT);
    const first = joiner.exchanges[0]!;
    expect(first.request.prevLogIndex).toBe(leader.lastIndex - 1);
    expect(first.answer).toMatchObject({ success: false, nextIndexHint: 1 });
    expect(joiner.terms.length).toBe(leader.lastIndex);
  });
});
