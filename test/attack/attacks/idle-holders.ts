import { Channel } from '../../../src/index.js';
import { Target, type Attack } from '../attack.js';
import { holdChannels } from '../peers.js';

/**
 * Attack 2: one peer opens 1,024 connections and sends nothing after the
 * preamble; whenever the server frees one, it takes it back at once.
 */
export const idleHolders: Attack = {
  number: 2,
  name: 'idle',
  summary: 'one address opens 1,024 connections, sends nothing after the preamble, retakes any slot freed',
  target: Target.StandIn,
  processes: 1,
  sources: 1,
  counts: ({ scale }) => ({ total: { connections: Math.round(1_024 * scale) }, perProcess: ['connections'] }),
  async run(ctx) {
    await holdChannels(ctx, ctx.counts['connections'] ?? 0, Channel.Membership, { retryMs: 20 });
  },
};
