import { Channel } from '../../../src/index.js';
import { encodeRequest } from '../../../src/protocol/index.js';
import { LegitMix, Target, type Attack } from '../attack.js';
import { count, openChannel, sendAndRead, sleep } from '../peers.js';

/** Bytes of each junk id: 600 of them make a configuration of ~150 KB, past a 64 KiB frame. */
const ID_BYTES = 200;

/**
 * Attack 7: unauthenticated joins grow the configuration past 64 KiB, the
 * default frame size, while the legitimate client reads the members: the
 * answer must still reach it (in pages).
 */
export const largeConfiguration: Attack = {
  number: 7,
  name: 'large-config',
  summary: 'junk joins from 12 addresses grow the configuration past 64 KiB (600 ids of 200 bytes) while the client reads the members',
  target: Target.StandIn,
  legit: LegitMix.WithMembers,
  processes: 1,
  // From twelve addresses, each within its burst (requestBurstPerPeer, 50):
  // one address would take seconds past it at 100 requests a second.
  sources: 12,
  counts: ({ scale }) => ({ total: { members: Math.round(600 * scale) }, perProcess: ['members'] }),
  async run(ctx) {
    const members = ctx.counts['members'] ?? 0;
    const share = Math.ceil(members / ctx.sources.length);
    await Promise.all(
      ctx.sources.map(async (source, s) => {
        const joins = Array.from({ length: Math.min(share, members - s * share) }, (_, i) =>
          encodeRequest({ type: 'join', rid: i + 1, id: `junk-${ctx.part}-${s}-${i}-`.padEnd(ID_BYTES, 'x'), address: `127.66.${s}.${i % 250}:${7000 + i}`, role: 'nonvoter' }),
        );
        while (!ctx.signal.aborted) {
          const socket = await openChannel(ctx.targets[0]!, source, Channel.Membership, ctx.stats);
          if (!socket) {
            await sleep(100, ctx.signal);
            continue;
          }
          const answered = await sendAndRead(socket, joins, ctx.signal);
          count(ctx.stats, 'joined', answered.ok);
          count(ctx.stats, 'joinsRefused', answered.failed);
          // The configuration is big now; hold the connection until the end.
          if (answered.ok + answered.failed >= joins.length) await sleep(2 ** 31 - 1, ctx.signal);
          socket.destroy();
        }
      }),
    );
  },
  checks: ({ stats }, { scale }) => [{ what: 'junk members joined', value: stats['joined'] ?? 0, limit: Math.round(600 * scale), kind: 'min' }],
};
