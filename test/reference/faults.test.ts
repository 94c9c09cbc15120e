import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChangeRejectedError, MembershipTimeoutError, NotLeaderError, parseAddress } from '../../src/index.js';
import { encodeFrame } from '../../src/protocol/msgpack.js';
import { ELECTION_MS, useCluster, waitFor } from './support/cluster.js';
import { TcpStreamLayer } from './support/tcp-stream-layer.js';

const TIMEOUT = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RaftNode under faults', () => {
  const cluster = useCluster();

  it('elects a new leader within bounded time after the leader is killed', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const index = await leader.apply('committed before the crash', TIMEOUT);
    await cluster().kill(leader.id);
    const rest = nodes.filter((n) => n !== leader);
    const next = await cluster().waitForLeader(rest, 10 * ELECTION_MS);
    expect(next.term).toBeGreaterThan(leader.term);
    expect(next.lastIndex).toBeGreaterThanOrEqual(index);
    await expect(next.apply('after the crash', TIMEOUT)).resolves.toBeGreaterThan(index);
  });

  it('refuses to add a dead server without stalling the cluster', async () => {
    const nodes = await cluster().build(2);
    const leader = await cluster().waitForLeader(nodes);
    const ghost = await TcpStreamLayer.listen();
    const deadAddress = ghost.address;
    await ghost.close();
    const before = { last: leader.lastIndex, config: leader.configuration() };
    const failure = leader.addVoter('ghost', deadAddress, 0, 4 * ELECTION_MS);
    await expect(failure).rejects.toThrow(ChangeRejectedError);
    await expect(failure).rejects.toThrow(/did not catch up/);
    expect(leader.lastIndex).toBe(before.last);
    expect(leader.configuration()).toEqual(before.config);
    const joiner = await cluster().spawn('alive');
    await leader.addVoter(joiner.id, joiner.address, 0, TIMEOUT);
    await cluster().waitForAgreement([...nodes, joiner], ['n0', 'n1', 'alive']);
  });

  it('a removed server with a stale configuration does not disrupt the cluster', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const victim = nodes.find((n) => n !== leader)!;
    cluster().stop(victim.id);
    await leader.removeServer(victim.id, 0, TIMEOUT);
    const rest = nodes.filter((n) => n !== victim);
    await cluster().waitForAgreement(rest, rest.map((n) => n.id));
    // Back with the old log, it still believes it is a voter and campaigns...
    const stale = cluster().restart(victim.id);
    expect(stale.configuration().some((s) => s.id === victim.id)).toBe(true);
    const term = leader.term;
    await sleep(8 * ELECTION_MS);
    // ...but pre-vote fails, so no term moves and the leader stays.
    expect(leader.state()).toBe('leader');
    expect(rest.map((n) => n.term)).toEqual([term, term]);
    expect(stale.term).toBeLessThanOrEqual(term);
    expect(stale.state()).not.toBe('leader');
  });

  it('a retried join after an ambiguous timeout succeeds once the change is in', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const followers = nodes.filter((n) => n !== leader);
    for (const f of followers) cluster().stop(f.id);
    const joiner = await cluster().spawn('joiner');
    // Caught up, appended, but 2 of 4 voters cannot commit it: the outcome is unknown.
    const attempt = leader.addVoter(joiner.id, joiner.address, 0, 100);
    const error = await attempt.then(() => undefined, (e: unknown) => e);
    expect(error instanceof MembershipTimeoutError || error instanceof NotLeaderError).toBe(true);
    const back = followers.map((f) => cluster().restart(f.id));
    const everyone = [leader, joiner, ...back];
    const next = await cluster().waitForLeader(everyone, TIMEOUT);
    const index = await next.addVoter(joiner.id, joiner.address, 0, TIMEOUT);
    expect(index).toBe(next.configurationIndex);
    await cluster().waitForAgreement(everyone, [...nodes.map((n) => n.id), 'joiner']);
  });

  it('keeps term, vote and log across a restart with the same storage', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const index = await leader.apply('durable', TIMEOUT);
    const follower = nodes.find((n) => n !== leader)!;
    await waitFor(() => follower.lastIndex >= index, 'replication');
    const term = follower.term;
    cluster().stop(follower.id);
    const again = cluster().restart(follower.id);
    expect(again.term).toBe(term);
    expect(again.lastIndex).toBeGreaterThanOrEqual(index);
    expect(again.configuration()).toEqual(leader.configuration());
    await waitFor(() => again.commitIndex >= index, 'the restarted node to learn the commit index');
  });

  it('closes a stream that carries a malformed message and keeps serving', async () => {
    const nodes = await cluster().build(1);
    const node = nodes[0]!;
    const { host, port } = parseAddress(node.address);
    const bad = [
      Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]), // not MessagePack
      encodeFrame({ type: 'append_entries', term: -1 }),
      encodeFrame({ type: 'request_vote', term: 1, candidateId: 'x', lastLogIndex: 0, lastLogTerm: 0, preVote: 'yes', leadershipTransfer: false }),
      encodeFrame([1, 2, 3]),
      Buffer.from([0xff, 0xff, 0xff, 0xff]), // over the frame limit
    ];
    for (const frame of bad) {
      const socket = connect({ host, port });
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.once('close', () => resolve());
        socket.write(frame);
      });
      expect(socket.destroyed).toBe(true);
    }
    await expect(node.apply('still alive', TIMEOUT)).resolves.toBeGreaterThan(0);
    expect(node.state()).toBe('leader');
  });
});
