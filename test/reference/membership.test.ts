import { describe, expect, it } from 'vitest';
import { ChangeRejectedError, MembershipTimeoutError, NotLeaderError, ShuttingDownError } from '../../src/index.js';
import type { RaftNode } from '../../reference/raft/node.js';
import { useCluster, waitFor } from './support/cluster.js';

const TIMEOUT = 5000;

describe('RaftNode membership changes', () => {
  const cluster = useCluster();

  it('adding a known server again, or removing a stranger, appends nothing', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const [, b] = nodes.filter((n) => n !== leader) as [typeof leader, typeof leader];
    const before = { last: leader.lastIndex, config: leader.configurationIndex };
    await expect(leader.addVoter(b.id, b.address, 0, TIMEOUT)).resolves.toBe(before.config);
    await expect(leader.removeServer('nobody', 0, TIMEOUT)).resolves.toBe(before.config);
    // A voter asked to join as a non-voter stays a voter, as in hashicorp/raft.
    await expect(leader.addNonvoter(b.id, b.address, 0, TIMEOUT)).resolves.toBe(before.config);
    expect(leader.lastIndex).toBe(before.last);
    expect(leader.configurationIndex).toBe(before.config);
  });

  it('refuses a new id at an address another server holds, and a stale prevIndex', async () => {
    const nodes = await cluster().build(2);
    const leader = await cluster().waitForLeader(nodes);
    const other = nodes.find((n) => n !== leader)!;
    const last = leader.lastIndex;
    await expect(leader.addVoter('intruder', other.address, 0, TIMEOUT)).rejects.toThrow(ChangeRejectedError);
    await expect(leader.addVoter('intruder', other.address, 0, TIMEOUT)).rejects.toThrow(/already used by server/);
    await expect(leader.removeServer(other.id, leader.configurationIndex - 1, TIMEOUT)).rejects.toThrow(ChangeRejectedError);
    expect(leader.lastIndex).toBe(last);
    // The right prevIndex goes through.
    const index = await leader.removeServer(other.id, leader.configurationIndex, TIMEOUT);
    expect(index).toBe(last + 1);
    expect(leader.configuration().map((s) => s.id)).toEqual([leader.id]);
  });

  it('moves a known id to a new address', async () => {
    const nodes = await cluster().build(2);
    const leader = await cluster().waitForLeader(nodes);
    const other = nodes.find((n) => n !== leader)!;
    await cluster().kill(other.id);
    const moved = await cluster().spawn('moved', { id: other.id });
    const index = await leader.addVoter(other.id, moved.address, 0, TIMEOUT);
    expect(leader.configuration().find((s) => s.id === other.id)?.address).toBe(moved.address);
    await waitFor(() => moved.commitIndex >= index, 'the moved server to catch up');
  });

  it('serializes concurrent changes instead of failing them', async () => {
    const nodes = await cluster().build(1);
    const leader = nodes[0]!;
    const joiners = [await cluster().spawn('j1'), await cluster().spawn('j2'), await cluster().spawn('j3')];
    const indexes = await Promise.all(joiners.map((j) => leader.addVoter(j.id, j.address, 0, TIMEOUT)));
    expect(new Set(indexes).size).toBe(3);
    expect([...indexes].sort((a, b) => a - b)).toEqual(indexes);
    await cluster().waitForAgreement([leader, ...joiners], ['n0', 'j1', 'j2', 'j3']);
  });

  it('closing during a voter\'s catch-up says the change was not made', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const before = leader.lastIndex;
    // A voter that never answers: its catch-up runs until the close, and nothing is appended.
    const catchingUp = leader.addVoter('ghost', '127.0.0.1:1', 0, TIMEOUT).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 20));
    leader.close();
    expect(await catchingUp).toBeInstanceOf(ShuttingDownError);
    expect(leader.lastIndex).toBe(before);
  });

  it('closing with an entry appended but not committed says its outcome is unknown: the next leader may commit it', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    // With both followers gone, an appended entry cannot commit before the close.
    for (const node of nodes) if (node !== leader) await cluster().kill(node.id);
    const before = leader.lastIndex;
    const change = leader.addNonvoter('late', '127.0.0.1:2', 0, TIMEOUT).catch((err: unknown) => err);
    const command = leader.apply({ op: 'noop' }, TIMEOUT).catch((err: unknown) => err);
    await waitFor(() => leader.lastIndex === before + 2, 'the configuration entry and the command appended');
    leader.close();
    for (const outcome of [await change, await command]) {
      expect(outcome).toBeInstanceOf(MembershipTimeoutError);
      expect((outcome as Error).message).toMatch(/closed before .*entry \d+.* committed; it may still commit/);
    }
  });

  it('a non-leader refuses changes with NotLeaderError', async () => {
    const nodes = await cluster().build(2);
    const leader = await cluster().waitForLeader(nodes);
    const follower = nodes.find((n) => n !== leader)!;
    await expect(follower.addVoter('x', '127.0.0.1:1', 0, TIMEOUT)).rejects.toThrow(NotLeaderError);
    await expect(follower.removeServer(leader.id, 0, TIMEOUT)).rejects.toThrow(NotLeaderError);
    await expect(follower.apply('x', TIMEOUT)).rejects.toThrow(NotLeaderError);
  });

  it('a non-voter receives the log but does not count', async () => {
    const nodes = await cluster().build(1);
    const leader = nodes[0]!;
    const learner = await cluster().spawn('learner');
    await leader.addNonvoter(learner.id, learner.address, 0, TIMEOUT);
    const index = await leader.apply('hello', TIMEOUT);
    await waitFor(() => learner.commitIndex >= index, 'the non-voter to receive the entry');
    expect(learner.configuration().find((s) => s.id === 'learner')?.role).toBe('nonvoter');
    // With the learner gone, the single voter still commits alone.
    await cluster().kill('learner');
    await expect(leader.apply('still works', TIMEOUT)).resolves.toBeGreaterThan(index);
    expect(learner.state()).toBe('shutdown');
  });

  it('promotes a non-voter added again as a voter; it then counts and may campaign', async () => {
    const nodes = await cluster().build(1);
    const leader = nodes[0]!;
    const learner = await cluster().spawn('learner');
    const added = await leader.addNonvoter(learner.id, learner.address, 0, TIMEOUT);
    const promoted = await leader.addVoter(learner.id, learner.address, 0, TIMEOUT);
    expect(promoted).toBeGreaterThan(added);
    expect(leader.configuration().find((s) => s.id === 'learner')?.role).toBe('voter');
    await cluster().waitForAgreement([leader, learner], [leader.id, learner.id]);
    expect(learner.configuration().find((s) => s.id === 'learner')?.role).toBe('voter');
    // Two voters now: without the learner nothing commits.
    await cluster().kill('learner');
    await expect(leader.apply('needs both', 300)).rejects.toThrow();
  });

  it('removing the leader hands leadership over; everyone agrees', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const termBefore = leader.term;
    const index = await leader.removeServer(leader.id, 0, TIMEOUT);
    expect(leader.state()).toBe('follower');
    const rest = nodes.filter((n) => n !== leader);
    const next = await cluster().waitForLeader(rest);
    expect(next.term).toBe(termBefore + 1); // a TimeoutNow election, not a timeout storm
    await cluster().waitForAgreement(rest, rest.map((n) => n.id));
    expect(next.configurationIndex).toBe(index);
    await next.apply('the cluster goes on', TIMEOUT);
    // The removed server never campaigns.
    expect(leader.state()).toBe('follower');
  });

  it('a removed server holding its own uncommitted removal stands for election when the others need it', async () => {
    const nodes = await cluster().build(4);
    const leader = await cluster().waitForLeader(nodes);
    const [b, c, d] = nodes.filter((n) => n !== leader) as [RaftNode, RaftNode, RaftNode];
    for (const id of [b.id, c.id]) {
      cluster().stop(id);
      cluster().members.get(id)!.layer.refuse(true);
    }
    // Only d gets its removal: it cannot commit, and then the leader goes.
    await expect(leader.removeServer(d.id, 0, 300)).rejects.toThrow();
    await waitFor(() => d.configuration().every((s) => s.id !== d.id), 'd to hold its removal');
    await cluster().kill(leader.id);
    for (const id of [b.id, c.id]) cluster().members.get(id)!.layer.refuse(false);
    const back = [cluster().restart(b.id), cluster().restart(c.id)];
    // b and c cannot win without d's vote, which d's longer log refuses; d, not a voter of
    // its latest configuration, campaigns, commits its removal with their votes, and hands over.
    const next = await cluster().waitForLeader(back, 5000);
    await cluster().waitForAgreement(back, [leader.id, b.id, c.id]);
    expect(d.state()).not.toBe('leader');
    await expect(next.apply('the cluster goes on', TIMEOUT)).resolves.toBeGreaterThan(0);
  });

  it('retrying a join after an ambiguous timeout reports success once it is in', async () => {
    const nodes = await cluster().build(1);
    const leader = nodes[0]!;
    const joiner = await cluster().spawn('late');
    const first = await leader.addVoter(joiner.id, joiner.address, 0, TIMEOUT);
    await expect(leader.addVoter(joiner.id, joiner.address, 0, TIMEOUT)).resolves.toBe(first);
    const left = await leader.removeServer(joiner.id, 0, TIMEOUT);
    await expect(leader.removeServer(joiner.id, 0, TIMEOUT)).resolves.toBe(left);
  });
});
