import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient, RpcFailedError } from '../../reference/raft/connection.js';
import { RpcType, type RequestVoteRequest } from '../../reference/raft/messages.js';
import { FrameDecoder } from '../../src/protocol/frame-decoder.js';
import { decodePayload, encodeFrame } from '../../src/protocol/msgpack.js';
import { TcpStreamLayer } from './support/tcp-stream-layer.js';

// The dialing end of the reference raft's RPC: a request that times out
// fails for its caller, but a peer that answers late is busy, not dead, and
// keeps its stream; only timeouts in a row cost it.

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const vote = (term: number): RequestVoteRequest => ({
  type: RpcType.RequestVote,
  term,
  candidateId: 'a',
  lastLogIndex: 0,
  lastLogTerm: 0,
  preVote: false,
  leadershipTransfer: false,
});

/** A peer that answers each request when the test says so; counts its streams. */
async function slowPeer() {
  const layer = await TcpStreamLayer.listen();
  closers.push(() => layer.close());
  const streams: Duplex[] = [];
  const received: number[] = [];
  void (async () => {
    for (;;) {
      let stream: Duplex;
      try {
        stream = await layer.accept();
      } catch {
        return;
      }
      streams.push(stream);
      const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
      stream.on('data', (chunk: Buffer) => decoder.push(chunk, (payload) => received.push((decodePayload(payload) as { term: number }).term)));
      stream.on('error', () => undefined);
    }
  })();
  return {
    layer,
    streams,
    received,
    /** Answers the oldest request not yet answered on the latest stream. */
    answer: (term: number) => streams.at(-1)!.write(encodeFrame({ type: RpcType.RequestVoteResult, term, granted: true })),
  };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
};

describe('RpcClient', () => {
  it('fails a request that times out, keeps the stream, drops the late answer, and gives the next request its own', async () => {
    const peer = await slowPeer();
    const client = new RpcClient(peer.layer.address, peer.layer, 1_000);
    closers.push(() => client.close());
    await expect(client.request(vote(1), 100)).rejects.toThrow(RpcFailedError);
    const next = client.request(vote(2), 2_000);
    await until(() => peer.received.length === 2);
    // The late answer to the first request comes first, then the second's.
    peer.answer(1);
    peer.answer(2);
    expect(await next).toMatchObject({ type: RpcType.RequestVoteResult, term: 2 });
    expect(peer.streams).toHaveLength(1);
    expect(peer.streams[0]!.destroyed).toBe(false);
  });

  it('counts a stream dead after three timeouts in a row, and dials again', async () => {
    const peer = await slowPeer();
    const client = new RpcClient(peer.layer.address, peer.layer, 1_000);
    closers.push(() => client.close());
    for (let term = 1; term <= 3; term++) await expect(client.request(vote(term), 100)).rejects.toThrow(/timed out after 100 ms/);
    await until(() => peer.streams[0]!.destroyed || peer.streams[0]!.readableEnded);
    const next = client.request(vote(4), 2_000);
    await until(() => peer.streams.length === 2 && peer.received.length === 4);
    peer.answer(4);
    expect(await next).toMatchObject({ term: 4 });
  });
});
