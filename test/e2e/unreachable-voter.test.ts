import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChangeRejectedError, TcpChanger } from '../../src/index.js';
import { CATCH_UP_SILENCE_TIMEOUTS } from '../../reference/raft/changes.js';
import { idsOf, useE2ECluster } from './support/e2e-cluster.js';

const cluster = useE2ECluster();

/**
 * The deadline of the calls here: half the raft call's own timeout
 * (handleChangeRequests' default, 10 s). Before a silent joiner was refused
 * early, a join behind one waited out those 10 s and missed it.
 */
const CALL_MS = 5_000;

/** Listens on a free loopback port, accepting connections and handing each to `onSocket`. */
async function listen(onSocket: (socket: Socket) => void): Promise<{ server: Server; address: string }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, address: `127.0.0.1:${port}` };
}

/** An address where nothing listens: every dial to it is refused. */
async function deadAddress(): Promise<string> {
  const { server, address } = await listen((socket) => socket.destroy());
  await new Promise((resolve) => server.close(resolve));
  return address;
}

/**
 * A peer that accepts raft streams, says Accepted to the hello (two
 * bytes: status 0, no detail) and then never answers: what a hostile
 * joiner's own address can do.
 */
async function silentPeer(): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const { server, address } = await listen((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.write(Buffer.from([0, 0])));
  });
  return {
    address,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('end to end: a voter that cannot be caught up does not hold the change queue', () => {
  it.each([
    ['nothing listens at its address', async () => ({ address: await deadAddress(), close: async () => undefined }), /no answer from it for \d+ ms: .*ECONNREFUSED/],
    ['its address accepts raft streams and never answers', silentPeer, /no answer from it for \d+ ms: append_entries to \S+ timed out/],
  ])('%s: its join is refused after a short silence, and a join behind it commits', async (_case, makeTarget, why) => {
    const c = cluster();
    await c.build(2);
    const leader = await c.waitForLeader();
    const target = await makeTarget();
    c.onClose(() => target.close());
    const junk = new TcpChanger({ address: target.address });
    c.onClose(() => junk.close());
    const joiner = await c.start('n3');

    const started = performance.now();
    const refused = junk.join('ghost', leader.address, CALL_MS).then(
      () => undefined,
      (err: unknown) => ({ err, afterMs: performance.now() - started }),
    );
    // Sent once the junk join is under way on the leader: it waits behind it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await joiner.join(leader.address, CALL_MS);

    const outcome = await refused;
    expect(outcome?.err).toBeInstanceOf(ChangeRejectedError);
    expect((outcome?.err as Error).message).toMatch(new RegExp(`server ghost at ${target.address} did not catch up with the log`));
    expect((outcome?.err as Error).message).toMatch(why);
    // Refused after the silence bound, long before the raft call's own timeout.
    expect(outcome!.afterMs).toBeGreaterThanOrEqual(CATCH_UP_SILENCE_TIMEOUTS * leader.raft.electionTimeoutMs - 20);
    expect(outcome!.afterMs).toBeLessThan(CALL_MS);
    expect(idsOf(leader.raft.configuration())).toEqual(['n1', 'n2', 'n3']);
  });
});
