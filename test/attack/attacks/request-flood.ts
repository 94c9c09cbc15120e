import { Channel } from '../../../src/index.js';
import { encodeRequest } from '../../../src/protocol/index.js';
import { Target, type Attack, type AttackerContext } from '../attack.js';
import { holdChannels, pipeline } from '../peers.js';

/** Requests per write. */
const BATCH = 256;

/**
 * What a flooding peer sends: leaves of servers that are not members (each
 * goes through the one change queue and changes nothing) and `members`
 * requests, pipelined and never read. A closed connection is reopened.
 */
export async function flood(ctx: AttackerContext): Promise<void> {
  let rid = 0;
  const batch = (): Buffer =>
    Buffer.concat(
      Array.from({ length: BATCH }, (_, i) => {
        rid = (rid + 1) >>> 0;
        return i % 2 === 0 ? encodeRequest({ type: 'leave', rid, id: `ghost-${Math.floor(ctx.random() * 1e9)}` }) : encodeRequest({ type: 'members', rid });
      }),
    );
  // Peer i floods target i mod n: in a cluster every server, the leader included, gets its share.
  await holdChannels(ctx, ctx.sources.length, Channel.Membership, {
    targetOffset: ctx.part,
    use: (socket) => void pipeline(socket, batch, ctx.signal, ctx.stats),
  });
}

/** Attack 4: 42 peers pipeline requests and never read, against one raft server. */
export const requestFlood: Attack = {
  number: 4,
  name: 'flood',
  summary: '42 addresses pipeline leave/members requests and never read (one reference raft server)',
  target: Target.Member,
  processes: 2,
  sources: ({ scale }) => Math.max(1, Math.round(42 * scale)),
  counts: () => ({ total: {}, perProcess: [] }),
  run: flood,
};

/** Attack 4 against a 5-server cluster: the flood is spread over every server; the leader must keep its term. */
export const requestFloodCluster: Attack = {
  ...requestFlood,
  name: 'flood-cluster',
  summary: '42 addresses pipeline leave/members requests to all five servers of a cluster and never read',
  target: Target.Cluster,
};
