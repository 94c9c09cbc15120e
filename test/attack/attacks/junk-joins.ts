import { Channel } from '../../../src/index.js';
import { encodeRequest } from '../../../src/protocol/index.js';
import { Target, type Attack } from '../attack.js';
import { count, openChannel, sendAndRead, sleep } from '../peers.js';

/** How often the junk members are joined again (idempotent; in case something removed them). */
const REJOIN_MS = 5_000;

/**
 * Attack 9: unauthenticated joins add non-voters at dead addresses (nothing
 * listens there: every dial is refused). A leader that redials each one
 * every heartbeat burns CPU for nothing; the legitimate client must not
 * notice, and the server's CPU must come back down.
 */
export const junkJoins: Attack = {
  number: 9,
  name: 'junk-joins',
  summary: 'unauthenticated joins add 60 non-voters at dead addresses (one reference raft server)',
  target: Target.Member,
  processes: 1,
  sources: 1,
  counts: ({ scale }) => ({ total: { members: Math.max(1, Math.round(60 * scale)) }, perProcess: ['members'] }),
  async run(ctx) {
    const members = ctx.counts['members'] ?? 0;
    const joins = Array.from({ length: members }, (_, i) =>
      // 127.66/16 is loopback with nothing listening: each dial is refused at once.
      encodeRequest({ type: 'join', rid: i + 1, id: `junk-${ctx.part}-${i}`, address: `127.66.${ctx.part}.${1 + (i % 250)}:${7000 + i}`, role: 'nonvoter' }),
    );
    while (!ctx.signal.aborted) {
      const socket = await openChannel(ctx.targets[0]!, ctx.sources[0]!, Channel.Membership, ctx.stats);
      if (socket) {
        const answered = await sendAndRead(socket, joins, ctx.signal);
        ctx.stats['joined'] = Math.max(ctx.stats['joined'] ?? 0, answered.ok);
        count(ctx.stats, 'joinsRefused', answered.failed);
        socket.destroy();
      }
      await sleep(REJOIN_MS, ctx.signal);
    }
  },
  checks: ({ stats, cpuBefore, cpuLate }, { scale, fast }) => [
    { what: 'junk members joined', value: stats['joined'] ?? 0, limit: Math.max(1, Math.round(60 * scale)), kind: 'min' },
    // The junk costs CPU once (the joins), not a redial every heartbeat for as long as it stays:
    // that would be 60 × 33 refused dials a second at ~0.3 ms each, 60 points of a core. The full
    // run's second half (15 s) is past the back-off's ramp and holds 10 points; the fast run's
    // (1 s) is still in it, each member redialed every 0.25–1 s (1–6 points quiet, 12 seen
    // once on a loaded machine), so it holds 20, still a third of a redial per heartbeat.
    { what: "server CPU % in the attack's second half, above before", value: Math.round(cpuLate - cpuBefore), limit: fast ? 20 : 10, kind: 'max' },
  ],
};
