import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/index.js';
import { FrameDecoder } from '../../src/protocol/frame-decoder.js';
import { decodePayload, encodeFrame } from '../../src/protocol/msgpack.js';
import { EntryKind } from '../../reference/raft/log.js';
import { RpcType } from '../../reference/raft/messages.js';
import { MemoryStorage } from '../../reference/raft/storage.js';
import { useCluster } from './support/cluster.js';

/** What a disk would hold: the state as of the last `sync()`. */
class SyncedStorage extends MemoryStorage {
  durable = { term: 0, votedFor: null as string | null, lastIndex: 0 };

  override sync(): void {
    this.durable = { term: this.currentTerm, votedFor: this.votedFor, lastIndex: this.entries.length };
  }
}

/** Sends `request` on a raw raft stream and resolves to the decoded answer. */
function call(socket: Socket, request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder({ maxFrameSize: 4096 });
    const onData = (chunk: Buffer): void =>
      decoder.push(chunk, (payload) => {
        socket.off('data', onData);
        resolve(decodePayload(payload) as Record<string, unknown>);
      });
    socket.on('data', onData);
    socket.write(encodeFrame(request));
  });
}

describe('RaftNode makes its state durable before it answers', () => {
  const cluster = useCluster();

  it('syncs entries before it acknowledges them, and a vote before it grants it', async () => {
    const storage = new SyncedStorage();
    const node = await cluster().spawn('a', { storage });
    const { host, port } = parseAddress(node.address);
    const socket = connect({ host, port });
    try {
      await new Promise((resolve) => socket.once('connect', resolve));
      const servers = [
        { id: 'a', address: node.address, role: 'voter' },
        { id: 'b', address: '127.0.0.1:2', role: 'voter' },
        { id: 'c', address: '127.0.0.1:3', role: 'voter' },
      ];
      const appended = await call(socket, {
        type: RpcType.AppendEntries,
        term: 2,
        leaderId: 'b',
        leaderAddress: '127.0.0.1:2',
        prevLogIndex: 0,
        prevLogTerm: 0,
        entries: [
          { index: 1, term: 1, kind: EntryKind.Configuration, servers },
          { index: 2, term: 2, kind: EntryKind.Noop },
        ],
        leaderCommit: 0,
      });
      expect(appended).toMatchObject({ success: true, matchIndex: 2 });
      expect(storage.durable).toEqual({ term: 2, votedFor: null, lastIndex: 2 });
      const vote = await call(socket, {
        type: RpcType.RequestVote,
        term: 3,
        candidateId: 'c',
        lastLogIndex: 2,
        lastLogTerm: 2,
        preVote: false,
        leadershipTransfer: true,
      });
      expect(vote).toMatchObject({ granted: true, term: 3 });
      expect(storage.durable).toEqual({ term: 3, votedFor: 'c', lastIndex: 2 });
    } finally {
      socket.destroy();
    }
  });

  it('a leader commits only what is on its own disk', async () => {
    const storage = new SyncedStorage();
    const node = await cluster().spawn('a', { bootstrap: true, storage });
    await cluster().waitForLeader([node]);
    for (let i = 0; i < 5; i += 1) {
      const index = await node.apply(`entry ${i}`, 5000);
      expect(storage.durable.lastIndex).toBeGreaterThanOrEqual(index);
    }
    // A candidate's own vote, too, was durable before it asked anyone.
    expect(storage.durable.votedFor).toBe('a');
    expect(storage.durable.term).toBe(node.term);
  });
});
