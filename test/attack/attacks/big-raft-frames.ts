import { Channel } from '../../../src/index.js';
import { Target, type Attack } from '../attack.js';
import { count, holdChannels, pipeline } from '../peers.js';

/** The reference raft's largest frame: what it used to accept and buffer whole. */
const FRAME = 16 * 1024 * 1024;
const CHUNK = 256 * 1024;

/**
 * Attack 6: raft-channel peers each announce a 16 MiB raft frame, send all
 * of it but the last byte, and stop. A raft transport that buffers frames
 * whole holds 16 MiB per peer until the peer leaves.
 */
export const bigRaftFrames: Attack = {
  number: 6,
  name: 'raft-frames',
  summary: '10 raft-channel peers each send all but the last byte of a 16 MiB raft frame, then stop',
  target: Target.Member,
  processes: 1,
  sources: ({ scale }) => Math.max(1, Math.round(10 * scale)),
  counts: () => ({ total: {}, perProcess: [] }),
  async run(ctx) {
    const block = Buffer.alloc(CHUNK, 0x61);
    await holdChannels(ctx, ctx.sources.length, Channel.Raft, {
      use: (socket) => {
        const header = Buffer.alloc(4);
        header.writeUInt32BE(FRAME);
        socket.write(header);
        let left = FRAME - 1;
        const stopAtLastByte = new AbortController();
        const next = (): Buffer => {
          const n = Math.min(CHUNK, left);
          left -= n;
          if (left === 0) stopAtLastByte.abort();
          return block.subarray(0, n);
        };
        // Then the connection stays open (holdChannels keeps it), sending nothing.
        void pipeline(socket, next, AbortSignal.any([ctx.signal, stopAtLastByte.signal]), ctx.stats).then(() => {
          if (left === 0) count(ctx.stats, 'framesHeld');
        });
      },
    });
  },
};
