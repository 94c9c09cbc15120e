import { connectFrom, count, sleep } from '../peers.js';
import { Channel } from '../../../src/index.js';
import { encodeHello } from '../../../src/protocol/index.js';
import { Target, type Attack, type AttackerContext } from '../attack.js';
import { flood } from './request-flood.js';

/** The server's default preamble deadline. */
const PREAMBLE_DEADLINE_MS = 5_000;
/** How late the deadline may fire. */
const MAX_LATE_MS = 1_000;
/** A probe is opened this often. */
const PROBE_EVERY_MS = 250;

/** Opens a probe: half a hello, then silence; records how late past the deadline the server closed it. */
async function probe(ctx: AttackerContext, source: string): Promise<void> {
  let socket;
  try {
    socket = await connectFrom(ctx.targets[0]!, source);
  } catch {
    count(ctx.stats, 'probesFailed');
    return;
  }
  const opened = performance.now();
  count(ctx.stats, 'probesOpened');
  socket.write(encodeHello(Channel.Membership).subarray(0, 3));
  socket.resume();
  const closed = await new Promise<boolean>((resolve) => {
    const onAbort = (): void => resolve(false);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
  socket.destroy();
  if (!closed) return;
  const late = Math.max(0, performance.now() - opened - PREAMBLE_DEADLINE_MS);
  count(ctx.stats, 'probesClosed');
  ctx.stats['maxLateMs'] = Math.max(ctx.stats['maxLateMs'] ?? 0, Math.round(late));
}

/**
 * Attack 10: the flood of attack 4 loads the server while another process
 * opens a connection every 250 ms that sends half a hello and stops: the
 * server must close each at its 5 s preamble deadline, not seconds later.
 */
export const slowPreamble: Attack = {
  number: 10,
  name: 'slow-preamble',
  summary: 'half a hello every 250 ms, timed against the 5 s preamble deadline, under the flood of attack 4',
  target: Target.Member,
  // Process 0 probes, from one address of its own; the others flood.
  processes: 2,
  sources: ({ scale }) => 2 * Math.max(1, Math.round(21 * scale)),
  minDuringMs: PREAMBLE_DEADLINE_MS + 2_500,
  counts: () => ({ total: {}, perProcess: [] }),
  async run(ctx) {
    if (ctx.part !== 0) return flood(ctx);
    const probes: Promise<void>[] = [];
    while (!ctx.signal.aborted) {
      probes.push(probe(ctx, ctx.sources[0]!));
      await sleep(PROBE_EVERY_MS, ctx.signal);
    }
    await Promise.all(probes);
  },
  // The fast profile's attack is shorter than the deadline: there it judges
  // the cause of a late deadline, the server's event-loop delay, instead.
  checks: ({ stats, loopDelayMs }, { fast }) =>
    fast
      ? [{ what: "server's worst event-loop delay (ms)", value: Math.round(loopDelayMs), limit: MAX_LATE_MS, kind: 'max' }]
      : [
          { what: 'probes closed by the server', value: stats['probesClosed'] ?? 0, limit: 1, kind: 'min' },
          { what: 'preamble deadline fired late by (ms)', value: stats['maxLateMs'] ?? 0, limit: MAX_LATE_MS, kind: 'max' },
        ],
};
