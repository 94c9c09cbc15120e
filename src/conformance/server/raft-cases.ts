import { ReplyStatus } from '../../protocol/preamble.js';
import { Requirement, fail, pass, skip, type CaseDefinition } from '../case.js';
import { describeEnd, hex } from '../wire-peer.js';
import { describeReply, type ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must } = Requirement;

/** §5: the raft channel. */
export const raftCases: readonly ServerCase[] = [
  {
    name: 'raft.accepted',
    section: '§5',
    requirement: Must,
    description: 'A raft-channel hello is accepted and the connection handed to raft: it stays open, and the server adds nothing of its own.',
    async run(c) {
      const peer = await c.accepted(2);
      const extra = await peer.quiet(c.options.quietMs);
      if (peer.ended) return fail(`the raft stream was ${peer.ended} at once${extra.length > 0 ? ` after ${hex(extra)}` : ''}`);
      return pass(extra.length === 0 ? 'accepted and left open' : `accepted and left open; raft sent ${extra.length} bytes first`);
    },
  },
  {
    name: 'raft.bytes-untouched',
    section: '§5',
    requirement: Must,
    description: 'Bytes sent right behind the preamble, in the same write, reach raft unread: an echoing raft returns exactly them (they look like a hello, a frame, and hold 0xc1 and 0xff).',
    needs: 'a target whose raft channel echoes (--raft-echo)',
    async run(c) {
      if (!c.options.raftEcho) return skip('needs a raft channel that echoes what it gets (a test build of the target): --raft-echo');
      const junk = Buffer.concat([c.hello(), c.harmless(1), Buffer.from([0xc1, 0xff, 0x00])]);
      const peer = await c.open();
      const hello = c.hello({ channel: 2 });
      if (!c.options.secret) {
        peer.send(Buffer.concat([hello, junk]));
        const read = await peer.readReply(c.options.waitMs);
        if (!read.ok || read.reply.status !== ReplyStatus.Accepted) return fail(`not accepted: ${read.ok ? describeReply(read.reply) : describeEnd(read)}`);
      } else {
        peer.send(hello);
        const challenge = await peer.readReply(c.options.waitMs);
        if (!challenge.ok || challenge.reply.status !== ReplyStatus.Challenge) return fail(`no Challenge: ${challenge.ok ? describeReply(challenge.reply) : describeEnd(challenge)}`);
        peer.send(Buffer.concat([c.authAnswer(hello, challenge.reply.detail).bytes, junk]));
        const read = await peer.readReply(c.options.waitMs);
        if (!read.ok || read.reply.status !== ReplyStatus.Accepted) return fail(`not accepted: ${read.ok ? describeReply(read.reply) : describeEnd(read)}`);
      }
      const echo = await peer.read(junk.length, c.options.waitMs);
      if (!echo.ok) return fail(`raft got ${echo.partial.length} of ${junk.length} bytes back: ${describeEnd(echo)}`);
      return echo.bytes.equals(junk) ? pass(`all ${junk.length} bytes came back unchanged`) : fail(`other bytes came back: ${hex(echo.bytes)}`);
    },
  },
];
