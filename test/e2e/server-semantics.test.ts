import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { DiagnosticsChannel, TcpChanger, WireErrorCode, type ServerRequestEvent } from '../../src/index.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/index.js';
import { membershipPeer } from '../support/raw-peer.js';
import { WAIT_MS, describeServers, idsOf, useE2ECluster } from './support/e2e-cluster.js';

const cluster = useE2ECluster();

describe('end to end: what the server answers besides changes', () => {
  it('a follower redirects members to the leader with no serveConfiguration() call, so a dialer reads the leader\'s configuration', async () => {
    const c = cluster();
    const members = await c.build(3);
    const { leader, servers } = await c.waitForConvergence();
    const follower = members.find((m) => m !== leader)!;

    const peer = await membershipPeer(follower.address);
    c.onClose(() => peer.close());
    peer.write(encodeRequest({ type: 'members', rid: 4 }));
    expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 4, ok: false, code: WireErrorCode.DifferentLeader, leader: leader.address });

    const reader = new TcpChanger();
    c.onClose(() => reader.close());
    const read = await reader.members(follower.address, WAIT_MS);
    expect(describeServers(read.members)).toBe(describeServers(servers));
  });

  it('closing the leader\'s server while raft commits a join answers the join with its true outcome', async () => {
    const c = cluster();
    const members = await c.build(3);
    const leader = await c.waitForLeader();
    const joiner = await c.start('n4');
    // Close as soon as the leader took the join: raft has begun it.
    let closing: Promise<void> | undefined;
    const onRequest = (event: unknown): void => {
      const { socket, type } = event as ServerRequestEvent;
      if (type === 'join' && socket.localPort === Number(leader.listenAddress.split(':').at(-1)) && closing === undefined) {
        queueMicrotask(() => (closing = leader.server.close()));
      }
    };
    subscribe(DiagnosticsChannel.ServerRequest, onRequest);
    try {
      const index = await joiner.join(leader.address, WAIT_MS);
      expect(index).toBeGreaterThan(0);
    } finally {
      unsubscribe(DiagnosticsChannel.ServerRequest, onRequest);
    }
    expect(closing).toBeDefined();
    await closing;
    expect(idsOf(leader.raft.configuration())).toEqual([...members.map((m) => m.id), 'n4'].sort());
  });
});
