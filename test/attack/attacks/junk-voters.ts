import { createServer, type Socket } from 'node:net';
import { Channel } from '../../../src/index.js';
import { encodeRequest } from '../../../src/protocol/index.js';
import { CATCH_UP_SILENCE_TIMEOUTS } from '../../../reference/raft/changes.js';
import { Target, type Attack } from '../attack.js';
import { count, openChannel, sendAndRead, sleep } from '../peers.js';

/** The attacked ClusterMember's election timeout (its default). */
const ELECTION_TIMEOUT_MS = 150;

/**
 * How long the reference raft takes to refuse a silent joining voter.
 * Changes are made one at a time, so each junk voter holds the queue that
 * long, and a legitimate change waits behind at most one per hostile peer
 * (the server takes peers' requests in turn).
 */
const JUNK_HOLD_MS = CATCH_UP_SILENCE_TIMEOUTS * ELECTION_TIMEOUT_MS;

/**
 * Attack 11: unauthenticated joins of voters whose address is the
 * attacker's own listener, which accepts the raft stream, says Accepted
 * and never answers. The leader must catch a joining voter up before it
 * counts, and makes one change at a time: before such a voter was refused
 * after two election timeouts of silence, each join held every other
 * change for the raft call's whole timeout (10 s), and every legitimate
 * call timed out.
 */
export const junkVoters: Attack = {
  number: 11,
  name: 'junk-voters',
  summary: 'unauthenticated joins of voters at a listener that accepts raft streams and never answers (one reference raft server)',
  target: Target.Member,
  processes: 1,
  sources: 2,
  legitP99FloorMs: (sources) => (sources + 1) * JUNK_HOLD_MS + 200,
  counts: () => ({ total: {}, perProcess: [] }),
  async run(ctx) {
    await Promise.all(ctx.sources.map((source, n) => junkFrom(ctx.targets[0]!, source, `${ctx.part}-${n}`, ctx.signal, ctx.stats)));
  },
  checks: ({ stats }) => [
    { what: 'junk voter joins refused', value: stats['refused'] ?? 0, limit: 1, kind: 'min' },
    { what: 'junk voters that joined', value: stats['joined'] ?? 0, limit: 0, kind: 'max' },
  ],
};

/** One hostile peer: its silent raft listener, and voter joins at it, one after another, until the attack ends. */
async function junkFrom(target: string, source: string, tag: string, signal: AbortSignal, stats: Record<string, number>): Promise<void> {
  const open = new Set<Socket>();
  const silent = createServer((socket) => {
    open.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => open.delete(socket));
    // Accepted (status 0, no detail) to whatever hello comes; then nothing, ever.
    socket.once('data', () => socket.write(Buffer.from([0, 0])));
  });
  await new Promise<void>((resolve) => silent.listen(0, source, resolve));
  const address = `${source}:${(silent.address() as { port: number }).port}`;
  let rid = 0;
  let socket: Socket | undefined;
  try {
    // One join at a time, the next as soon as the last is answered: the peer always has one waiting.
    while (!signal.aborted) {
      if (!socket || socket.destroyed) socket = await openChannel(target, source, Channel.Membership, stats);
      if (!socket) {
        await sleep(100, signal);
        continue;
      }
      rid += 1;
      const answered = await sendAndRead(socket, [encodeRequest({ type: 'join', rid, id: `junk-voter-${tag}-${rid}`, address, role: 'voter' })], signal);
      count(stats, 'joined', answered.ok);
      count(stats, 'refused', answered.failed);
    }
  } finally {
    socket?.destroy();
    silent.close();
    for (const held of open) held.destroy();
  }
}
