import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChangeRejectedError, parseAddress } from '../../src/index.js';
import { EntryTooLargeError, MAX_ENTRY_BYTES, MAX_RPC_FRAME_SIZE } from '../../reference/raft/limits.js';
import type { RaftNode } from '../../reference/raft/node.js';
import { useCluster, waitFor } from './support/cluster.js';

const TIMEOUT = 5000;
const FRAME_TIMEOUT_MS = 300;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw raft-channel peer of `node` (the test layer hands every socket to raft). */
function rawPeer(node: RaftNode, sockets: Socket[]): Promise<Socket> {
  const { host, port } = parseAddress(node.address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

const closed = (socket: Socket): Promise<void> =>
  socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));

const header = (length: number): Buffer => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length);
  return bytes;
};

describe('RaftNode bounds what a peer can make it hold', () => {
  const cluster = useCluster();

  it('closes a stream whose frame trickles in slower than frameTimeoutMs, and keeps serving', async () => {
    const node = await cluster().spawn('a', { bootstrap: true, frameTimeoutMs: FRAME_TIMEOUT_MS });
    await cluster().waitForLeader([node]);
    const sockets: Socket[] = [];
    try {
      const socket = await rawPeer(node, sockets);
      socket.on('error', () => undefined);
      const length = 100;
      socket.write(header(length));
      let sent = 0;
      // One byte every 50 ms would finish the frame after 5 s: each byte must not buy more time.
      while (!socket.destroyed && sent < length - 1) {
        socket.write(Buffer.from([0x90]));
        sent += 1;
        await Promise.race([sleep(50), closed(socket)]);
      }
      await closed(socket);
      expect(sent).toBeLessThan(length - 1);
      await expect(node.apply('still serving', TIMEOUT)).resolves.toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('cuts off peers that send part of a large frame and stop, and refuses frames over the limit at once', async () => {
    const node = await cluster().spawn('a', { bootstrap: true, frameTimeoutMs: FRAME_TIMEOUT_MS });
    await cluster().waitForLeader([node]);
    const sockets: Socket[] = [];
    try {
      const stalled = await Promise.all(Array.from({ length: 10 }, () => rawPeer(node, sockets)));
      for (const socket of stalled) {
        socket.on('error', () => undefined);
        socket.write(Buffer.concat([header(MAX_RPC_FRAME_SIZE), Buffer.alloc(256 * 1024)]));
      }
      const oversized = await Promise.all(Array.from({ length: 10 }, () => rawPeer(node, sockets)));
      for (const socket of oversized) {
        socket.on('error', () => undefined);
        socket.write(header(MAX_RPC_FRAME_SIZE + 1));
      }
      await Promise.all([...stalled, ...oversized].map(closed));
      await expect(node.apply('still serving', TIMEOUT)).resolves.toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('replicates entries larger together than one frame in several batches, and refuses an entry over the limit', async () => {
    const nodes = await cluster().build(3);
    const leader = await cluster().waitForLeader(nodes);
    const big = (tag: string): string => tag.repeat(600 * 1024);
    // Three of them would not fit one frame: the followers would refuse it.
    const indexes = [await leader.apply(big('a'), TIMEOUT), await leader.apply(big('b'), TIMEOUT), await leader.apply(big('c'), TIMEOUT)];
    const last = indexes.at(-1)!;
    await waitFor(() => nodes.every((n) => n.commitIndex >= last), 'every node to commit the large entries');
    const before = leader.lastIndex;
    await expect(leader.apply('x'.repeat(MAX_ENTRY_BYTES), TIMEOUT)).rejects.toThrow(EntryTooLargeError);
    expect(leader.lastIndex).toBe(before);
  });

  it('refuses a server id longer than peers would accept on the wire', async () => {
    const node = await cluster().spawn('a', { bootstrap: true });
    await cluster().waitForLeader([node]);
    const before = node.lastIndex;
    await expect(node.addNonvoter('x'.repeat(1025), '127.0.0.1:1', 0, TIMEOUT)).rejects.toThrow(ChangeRejectedError);
    expect(node.lastIndex).toBe(before);
  });
});
