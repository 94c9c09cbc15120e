import type { Socket } from 'node:net';
import { Channel } from '../../../src/index.js';
import { encodeHello } from '../../../src/protocol/index.js';
import { Target, type Attack } from '../attack.js';
import { connectFrom, count, keepOpen, openChannel, sleep } from '../peers.js';

/** A flood connection is given up (destroyed) this long after it was opened. */
const GIVE_UP_MS = 2_000;
/** Connections opened per tick of the flood. */
const TICK_MS = 10;

/**
 * Attack 8: a peer holds as many connections as the server lets it, then
 * reconnects as fast as it can (~5,000 a second), sending a hello and never
 * reading the `Busy` refusal. Each refused socket used to linger up to 1 s
 * on the server: thousands of descriptors against `maxConnections` 1,024.
 */
export const busyFlood: Attack = {
  number: 8,
  name: 'busy-flood',
  summary: 'one address holds all the connections it can, then reconnects ~5,000 times a second, never reading the refusal',
  target: Target.StandIn,
  processes: 1,
  sources: 1,
  counts: ({ scale }) => ({
    total: { holders: Math.round(1_024 * scale), perSecond: Math.round(5_000 * scale) },
    perProcess: ['holders', 'perSecond'],
  }),
  async run(ctx) {
    const source = ctx.sources[0]!;
    const target = ctx.targets[0]!;
    const holding = keepOpen(ctx.counts['holders'] ?? 0, () => openChannel(target, source, Channel.Membership, ctx.stats), ctx.signal, { retryMs: 1_000 });
    const open = new Set<Socket>();
    const hello = encodeHello(Channel.Membership);
    const perTick = Math.max(1, Math.round(((ctx.counts['perSecond'] ?? 0) * TICK_MS) / 1_000));
    const reconnect = async (): Promise<void> => {
      let socket: Socket;
      try {
        socket = await connectFrom(target, source, GIVE_UP_MS);
      } catch {
        count(ctx.stats, 'connectFailed');
        return;
      }
      open.add(socket);
      count(ctx.stats, 'floodConnections');
      socket.pause();
      socket.write(hello);
      const timer = setTimeout(() => socket.destroy(), GIVE_UP_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        open.delete(socket);
      });
    };
    while (!ctx.signal.aborted) {
      // Never more than two seconds' worth open on our side.
      if (open.size < perTick * (GIVE_UP_MS / TICK_MS)) for (let i = 0; i < perTick; i++) void reconnect();
      await sleep(TICK_MS, ctx.signal);
    }
    for (const socket of open) socket.destroy();
    await holding;
  },
};
