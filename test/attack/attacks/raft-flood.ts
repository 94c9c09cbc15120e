import { Channel } from '../../../src/index.js';
import { Target, type Attack } from '../attack.js';
import { holdChannels } from '../peers.js';

/**
 * Attack 5: thousands of raft-channel connections, no secret configured.
 * Once handed to the raft transport they used to leave every limit of the
 * membership server; each holds a descriptor for as long as it stays open.
 */
export const raftFlood: Attack = {
  number: 5,
  name: 'raft-flood',
  summary: '3,000 raft-channel connections from 4 addresses, held open (no secret; server limited to 4,096 fds)',
  target: Target.Member,
  serverFdLimit: 4_096,
  processes: 1,
  sources: 4,
  counts: ({ scale }) => ({ total: { connections: Math.round(3_000 * scale) }, perProcess: ['connections'] }),
  async run(ctx) {
    await holdChannels(ctx, ctx.counts['connections'] ?? 0, Channel.Raft, { retryMs: 50 });
  },
};
