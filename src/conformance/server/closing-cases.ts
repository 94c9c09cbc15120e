import { ReplyStatus } from '../../protocol/preamble.js';
import { Requirement, fail, pass, skip, type CaseDefinition } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { describeResponse } from '../response-check.js';
import { describeEnd } from '../wire-peer.js';
import { readConfiguration } from './kit-dialer.js';
import { describeReply, type ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const NEEDS_CLOSE = 'a way to make the target close (--close-command)';

/** Starts closing the target once per run; later callers wait for the same. */
export function startClosing(c: ServerContext): Promise<void> {
  c.changes.closing ??= c.options.closeTarget!().catch(() => undefined);
  return c.changes.closing;
}

/**
 * §2 row 7 and §8 `shutting_down`: what a closing server answers. These
 * run last, after the run's changes are undone: the target is gone after.
 */
export const closingCases: readonly ServerCase[] = [
  {
    name: 'closing.change-in-flight',
    section: '§8',
    row: 'shutting_down',
    requirement: Requirement.Must,
    description:
      'A join in flight when the server begins to close is answered only with what is true: shutting_down means the change was not made (checked through the follower); a change whose outcome is unknown is timeout.',
    needs: `${NEEDS_CLOSE}, membership changes, and to check a shutting_down: --follower on a cluster that serves members`,
    async run(c) {
      if (!c.options.closeTarget) return skip(`needs ${NEEDS_CLOSE}`);
      const blocked = c.needsChanges();
      if (blocked) return blocked;
      const peer = await c.accepted();
      const id = c.id('in-flight');
      peer.send(mp.frame(mp.fields([['type', mp.str('join')], ['rid', mp.int(1)], ['id', mp.str(id)], ['address', mp.str(c.changes.address())], ['role', mp.str(c.options.joinRole)]])));
      // Maybe made: undone at the end, through the follower.
      c.changes.joined.set(id, 'in flight at close');
      await new Promise((resolve) => setTimeout(resolve, 2));
      void startClosing(c);
      const got = await c.response(peer);
      if (!got.ok) return pass(`no answer (${got.observed}): the outcome is unknown to the dialer, which §9 allows on a lost connection`);
      const { response } = got;
      if (response.problems.length > 0) return fail(`answered with ${response.problems.join('; ')}`);
      if (response.code !== 'shutting_down') return pass(`answered ${describeResponse(response)}`);
      if (!c.options.follower || !c.options.members) return skip('answered shutting_down; checking that the join was not made needs --follower on a cluster that serves members');
      const ids = await readConfiguration(c, [c.options.follower], 15_000);
      if (typeof ids === 'string') return skip(`answered shutting_down, but the configuration could not be read to check it: ${ids}`);
      if (ids.includes(id)) return fail(`answered shutting_down ("the change was not made"), but ${id} is in the configuration: an outcome not known must be timeout`);
      c.changes.joined.delete(id);
      return pass('shutting_down, and the join was indeed not made');
    },
  },
  {
    name: 'closing.new-connection',
    section: '§2',
    row: '7',
    requirement: Requirement.Must,
    description: 'Once the server is closing, a new connection is refused: ShuttingDown (then a close), or no connection at all; never Accepted.',
    needs: NEEDS_CLOSE,
    async run(c) {
      if (!c.options.closeTarget) return skip(`needs ${NEEDS_CLOSE}`);
      await startClosing(c);
      let peer;
      try {
        peer = await c.open();
      } catch (err) {
        return pass(`no connection: ${(err as Error).message}`);
      }
      peer.send(c.hello());
      const read = await peer.readReply(c.options.waitMs);
      if (!read.ok) return pass(`no reply: ${describeEnd(read)}`);
      if (read.reply.status === ReplyStatus.ShuttingDown) return pass(describeReply(read.reply));
      return fail(`replied ${describeReply(read.reply)} while closing`);
    },
  },
];
