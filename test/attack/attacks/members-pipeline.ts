import { Channel } from '../../../src/index.js';
import { encodeRequest } from '../../../src/protocol/index.js';
import { Target, type Attack } from '../attack.js';
import { holdChannels, pipeline } from '../peers.js';

/** Requests per write. */
const BATCH = 256;

/**
 * Attack 3: peers that pipeline `members` requests against a 60-member
 * configuration and never read: each request is ~12 bytes, each answer
 * ~3 KB, so whatever the server answers into the blocked sockets it holds.
 */
export const membersPipeline: Attack = {
  number: 3,
  name: 'members-pipeline',
  summary: '8 addresses pipeline `members` requests (60-member configuration) and never read',
  target: Target.StandIn,
  standIn: { members: 60, idBytes: 24 },
  processes: 1,
  sources: 8,
  counts: () => ({ total: {}, perProcess: [] }),
  async run(ctx) {
    let rid = 0;
    const batch = (): Buffer => Buffer.concat(Array.from({ length: BATCH }, () => encodeRequest({ type: 'members', rid: (rid = (rid + 1) >>> 0) })));
    await holdChannels(ctx, ctx.sources.length, Channel.Membership, { use: (socket) => void pipeline(socket, batch, ctx.signal, ctx.stats) });
  },
};
