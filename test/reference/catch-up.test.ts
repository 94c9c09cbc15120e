import { afterEach, describe, expect, it } from 'vitest';
import { EntryKind } from '../../reference/raft/log.js';
import { useCluster, waitFor } from './support/cluster.js';
import { FakeFollower, type Exchange } from './support/fake-follower.js';

const TIMEOUT = 5000;

const carriesConfiguration = (exchange: Exchange): boolean => exchange.request.entries.some((e) => e.kind === EntryKind.Configuration);

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
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
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
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
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
