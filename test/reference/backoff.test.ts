import { describe, expect, it } from 'vitest';
import { Backoff } from '../../reference/raft/backoff.js';
import { RpcClient } from '../../reference/raft/connection.js';
import { RpcType } from '../../reference/raft/messages.js';
import { Peer, type PeerHost } from '../../reference/raft/peer.js';
import { useCluster, waitFor } from './support/cluster.js';
import { TcpStreamLayer } from './support/tcp-stream-layer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Backoff', () => {
  it('doubles from the base up to the cap, with jitter between half and all of it, and starts over on success', () => {
    const low = new Backoff(10, 100, () => 0);
    expect([low.fail(), low.fail(), low.fail(), low.fail(), low.fail(), low.fail()]).toEqual([5, 10, 20, 40, 50, 50]);
    expect(low.failures).toBe(6);
    low.succeed();
    expect(low.failures).toBe(0);
    expect(low.fail()).toBe(5);
    const high = new Backoff(10, 100, () => 1);
    expect([high.fail(), high.fail(), high.fail(), high.fail(), high.fail()]).toEqual([10, 20, 40, 80, 100]);
    // Far past the cap, the wait stays at the cap.
    for (let i = 0; i < 2000; i += 1) high.fail();
    expect(high.fail()).toBe(100);
  });
});

describe('Peer back-off', () => {
  it('new entries do not cut a back-off short; hearing from the server does', async () => {
    let dials = 0;
    const layer = {
      dial: () => {
        dials += 1;
        return Promise.reject(new Error('refused'));
      },
      accept: () => Promise.reject(new Error('not accepting')),
    };
    const host: PeerHost = {
      // The first back-off waits 2.5 to 5 s.
      heartbeatMs: 5000,
      rpcTimeoutMs: 100,
      maxBackoffMs: 60_000,
      isLeader: () => true,
      lastIndex: () => 0,
      appendRequest: (_peer, term) => ({
        type: RpcType.AppendEntries,
        term,
        leaderId: 'a',
        leaderAddress: '127.0.0.1:1',
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: [],
        leaderCommit: 0,
      }),
      onAppendResult: () => undefined,
    };
    const peer = new Peer('b', '127.0.0.1:2', new RpcClient('127.0.0.1:2', layer, 100), host);
    try {
      peer.startReplication(1);
      await waitFor(() => dials === 1, 'the first try');
      await waitFor(() => peer.failures === 1, 'the first failure');
      peer.kick();
      await sleep(200);
      expect(dials).toBe(1);
      peer.reachable();
      await waitFor(() => dials === 2, 'a try as soon as the server was heard from', 2000);
    } finally {
      peer.close();
    }
  });
});

describe('RaftNode and servers it cannot reach', () => {
  const cluster = useCluster();

  it('dials a dead member with a growing back-off, not every heartbeat, and keeps committing', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const dead: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const ghost = await TcpStreamLayer.listen();
      dead.push(ghost.address);
      await ghost.close();
    }
    for (const [i, address] of dead.entries()) await leader.addNonvoter(`dead${i}`, address, 0, 5000);
    await sleep(1500);
    const layer = cluster().members.get(leader.id)!.layer;
    // At a 30 ms heartbeat that is some 50 dials each; doubling waits from 15-30 ms make it at most 8.
    for (const address of dead) expect(layer.dials.get(address) ?? 0).toBeLessThanOrEqual(12);
    const index = await leader.apply('still committing', 5000);
    await waitFor(() => nodes.every((n) => n.commitIndex >= index), 'the voters to commit');
  });
});
