import { Channel } from '../../../src/index.js';
import { Target, type Attack } from '../attack.js';
import { count, holdChannels, sleep } from '../peers.js';
import type { Socket } from 'node:net';

/** A frame header announcing more payload than will ever come. */
const ANNOUNCED = 1_000;

/**
 * Attack 1: connections that finish the preamble, then send a frame one
 * byte a second. Each byte used to restart the idle timer, so the slots
 * were held for as long as the attacker liked; from 8 addresses, so that
 * a per-peer limit alone does not stop it.
 */
export const trickle: Attack = {
  number: 1,
  name: 'trickle',
  summary: '1,024 connections from 8 addresses finish the preamble, then send a frame a byte a second',
  target: Target.StandIn,
  processes: 1,
  sources: 8,
  counts: ({ scale }) => ({ total: { connections: Math.round(1_024 * scale) }, perProcess: ['connections'] }),
  async run(ctx) {
    const sockets = new Set<Socket>();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(ANNOUNCED);
    const holding = holdChannels(ctx, ctx.counts['connections'] ?? 0, Channel.Membership, {
      use: (socket) => {
        socket.write(header);
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      },
    });
    while (!ctx.signal.aborted) {
      await sleep(1_000, ctx.signal);
      for (const socket of sockets) {
        socket.write(Buffer.of(0x61));
        count(ctx.stats, 'bytesTrickled');
      }
    }
    await holding;
  },
};
