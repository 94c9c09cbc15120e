import { ReplyStatus } from '../../protocol/preamble.js';
import { Requirement, fail, skip, type CaseDefinition } from '../case.js';
import { describeReply, type ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must } = Requirement;

/** §5: the preamble deadline. */
export const deadlineCases: readonly ServerCase[] = [
  {
    name: 'preamble.deadline-silent',
    section: '§5',
    requirement: Must,
    description: 'A connection that sends nothing is closed without a reply once the preamble deadline passes.',
    async run(c) {
      return c.closedWithin(await c.open(), c.options.preambleTimeoutMs);
    },
  },
  {
    name: 'preamble.deadline-trickle',
    section: '§5',
    requirement: Must,
    description: 'A hello trickled a byte at a time, never whole, is dropped at the deadline: it is a deadline, not an idle timeout.',
    async run(c) {
      const peer = await c.open();
      const hello = c.hello({ name: Buffer.alloc(255, 0x61) });
      const gap = Math.max(5, Math.floor(c.options.preambleTimeoutMs / 20));
      const ending = c.closedWithin(peer, c.options.preambleTimeoutMs);
      void peer.trickle(hello.subarray(0, Math.min(hello.length - 1, 40)), gap);
      return ending;
    },
  },
  {
    name: 'preamble.deadline-auth',
    section: '§5',
    requirement: Must,
    description: 'A dialer that never answers the Challenge is dropped without a further reply at the deadline.',
    needs: 'the target\'s secret (--secret-file)',
    async run(c) {
      if (!c.options.secret) return skip('needs the target\'s shared secret: --secret-file FILE');
      const read = await c.helloReply();
      if ('verdict' in read) return read.verdict;
      if (read.reply.status !== ReplyStatus.Challenge) return fail(`no Challenge: ${describeReply(read.reply)}`);
      return c.closedWithin(read.peer, c.options.preambleTimeoutMs);
    },
  },
];
