import { Requirement, fail, pass, skip, type CaseDefinition } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { describeResponse, type CheckedResponse } from '../response-check.js';
import { membersRequest } from './members-cases.js';
import type { ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must } = Requirement;
const NEEDS_CHANGES = 'membership changes (not --no-changes)';
const NEEDS_FOLLOWER = 'a follower of the target\'s cluster (--follower)';

/** Joins `id` at `address` on a connection of its own; the answer, or why there is none. */
async function joinOnce(c: ServerContext, id: string, address: string): Promise<CheckedResponse | string> {
  const peer = await c.accepted();
  const got = await c.join(peer, 1, id, address);
  peer.destroy();
  if (!got.ok) return got.observed;
  return got.response.problems.length > 0 ? `answered with ${got.response.problems.join('; ')}` : got.response;
}

/** Leaves `id` on a connection of its own. */
async function leaveOnce(c: ServerContext, id: string): Promise<CheckedResponse | string> {
  const peer = await c.accepted();
  peer.send(mp.frame(mp.fields([['type', mp.str('leave')], ['rid', mp.int(1)], ['id', mp.str(id)]])));
  const got = await c.response(peer);
  peer.destroy();
  if (!got.ok) return got.observed;
  if (got.response.problems.length > 0) return `answered with ${got.response.problems.join('; ')}`;
  if (got.response.ok === true) c.changes.joined.delete(id);
  return got.response;
}

/** Success as §8 requires it, or why not; `unsupported_role` is noted, since a cluster may refuse the kit's join role. */
function success(what: string, answer: CheckedResponse | string): string | undefined {
  if (typeof answer === 'string') return `${what}: ${answer}`;
  if (answer.ok === true) return undefined;
  if (answer.code === 'unsupported_role') return `${what}: unsupported_role (the cluster refuses the kit's join role: try --join-role voter)`;
  return `${what}: ${describeResponse(answer)}`;
}

/** A case that cannot be provoked against an arbitrary server: it says what it would need. */
function cooperation(name: string, section: string, row: string | undefined, description: string, needs: string): ServerCase {
  return { name, section, ...(row ? { row } : {}), requirement: Must, description, needs, run: async () => skip(`cannot be provoked from outside: needs ${needs}`) };
}

/** §8: what changes are answered, and the redirects. */
export const changeCases: readonly ServerCase[] = [
  {
    name: 'change.leave-absent',
    section: '§8',
    requirement: Must,
    description: 'A leave of an id that is not in the configuration is a success (with the current index, when known), and changes nothing.',
    async run(c) {
      const blocked = c.needsLeader();
      if (blocked) return blocked;
      const answer = await leaveOnce(c, c.id('absent'));
      const problem = success('leave', answer);
      return problem ? fail(problem) : pass(describeResponse(answer as CheckedResponse));
    },
  },
  {
    name: 'change.join',
    section: '§8',
    requirement: Must,
    description: 'A valid join is a success once committed; joined again at the same address and role it is a success again, without a change (same index).',
    needs: NEEDS_CHANGES,
    async run(c) {
      const blocked = c.needsChanges();
      if (blocked) return blocked;
      const id = c.id('join');
      const address = c.changes.address();
      const first = await joinOnce(c, id, address);
      const problem = success('join', first);
      if (problem) return fail(problem);
      const again = await joinOnce(c, id, address);
      const againProblem = success('the same join again', again);
      if (againProblem) return fail(againProblem);
      const [one, two] = [(first as CheckedResponse).index, (again as CheckedResponse).index];
      if (one !== undefined && two !== undefined && two !== one) return fail(`the same join again answered index ${two}, not the ${one} it changed nothing from`);
      return pass(`joined${one === undefined ? '' : ` at index ${one}`}, and again${two === undefined ? '' : ` at index ${two}`}`);
    },
  },
  {
    name: 'change.leave',
    section: '§8',
    requirement: Must,
    description: 'A leave of a joined id is a success; leaving again is a success too (join and leave are idempotent).',
    needs: NEEDS_CHANGES,
    async run(c) {
      const blocked = c.needsChanges();
      if (blocked) return blocked;
      const id = c.id('leave');
      const joined = success('join', await joinOnce(c, id, c.changes.address()));
      if (joined) return fail(joined);
      const first = success('leave', await leaveOnce(c, id));
      if (first) return fail(first);
      const again = await leaveOnce(c, id);
      const problem = success('the same leave again', again);
      return problem ? fail(problem) : pass(`left, and again: ${describeResponse(again as CheckedResponse)}`);
    },
  },
  {
    name: 'change.address-taken',
    section: '§8',
    row: 'rejected',
    requirement: Must,
    description: 'A join at an address another id holds is answered rejected.',
    needs: NEEDS_CHANGES,
    async run(c) {
      const blocked = c.needsChanges();
      if (blocked) return blocked;
      const address = c.changes.address();
      const holder = success('the first join', await joinOnce(c, c.id('holder'), address));
      if (holder) return fail(holder);
      const answer = await joinOnce(c, c.id('taker'), address);
      if (typeof answer === 'string') return fail(answer);
      return answer.code === 'rejected' ? pass(`rejected: ${JSON.stringify(answer.message)}`) : fail(`answered ${describeResponse(answer)}`);
    },
  },
  {
    name: 'redirect.different-leader',
    section: '§8',
    row: 'different_leader',
    requirement: Must,
    description: 'A follower answers a request with different_leader and a `leader` that is a valid address.',
    needs: NEEDS_FOLLOWER,
    async run(c) {
      if (!c.options.follower) return skip('needs a follower: --follower HOST:PORT');
      const peer = await c.accepted(1, c.options.follower);
      peer.send(c.harmless(1));
      return c.refusedWith(peer, 1, 'different_leader');
    },
  },
  {
    name: 'redirect.leader-dialable',
    section: '§8',
    row: 'different_leader',
    requirement: Must,
    description: 'The `leader` a follower names is the leader\'s one port: dialed, it accepts the membership channel and answers the request itself.',
    needs: NEEDS_FOLLOWER,
    async run(c) {
      if (!c.options.follower) return skip('needs a follower: --follower HOST:PORT');
      const peer = await c.accepted(1, c.options.follower);
      peer.send(c.harmless(1));
      const got = await c.response(peer);
      if (!got.ok) return fail(got.observed);
      const leader = got.response.leader;
      if (got.response.code !== 'different_leader' || leader === undefined) return fail(`the follower answered ${describeResponse(got.response)}`);
      const atLeader = await c.accepted(1, leader);
      atLeader.send(c.harmless(2));
      const answer = await c.response(atLeader);
      if (!answer.ok) return fail(`at ${leader}: ${answer.observed}`);
      return answer.response.ok === true ? pass(`${leader} answered: ${describeResponse(answer.response)}`) : fail(`${leader} answered ${describeResponse(answer.response)}`);
    },
  },
  {
    name: 'redirect.members',
    section: '§7',
    requirement: Must,
    description: 'A follower answers `members` with different_leader too (whether or not it serves its configuration), so that a dialer reaches the leader.',
    needs: NEEDS_FOLLOWER,
    async run(c) {
      if (!c.options.follower) return skip('needs a follower: --follower HOST:PORT');
      const peer = await c.accepted(1, c.options.follower);
      peer.send(membersRequest(1));
      return c.refusedWith(peer, 1, 'different_leader', 'members');
    },
  },
  {
    name: 'redirect.join',
    section: '§8',
    row: 'different_leader',
    requirement: Must,
    description: 'A follower answers a join with different_leader, and makes no change.',
    needs: NEEDS_FOLLOWER,
    async run(c) {
      if (!c.options.follower) return skip('needs a follower: --follower HOST:PORT');
      const peer = await c.accepted(1, c.options.follower);
      const got = await c.join(peer, 1, c.id('via-follower'), c.changes.address());
      if (!got.ok) return fail(got.observed);
      return got.response.code === 'different_leader' && got.response.problems.length === 0 ? pass('different_leader') : fail(describeResponse(got.response));
    },
  },
  cooperation('errors.unknown-leader', '§8', 'unknown_leader', 'A server that knows no leader (during an election) answers unknown_leader.', 'a server between leaders'),
  cooperation('errors.timeout', '§8', 'timeout', 'A change that does not commit within the request timeout is answered timeout.', 'a raft that does not commit in time'),
  cooperation('errors.internal', '§8', 'internal', 'A failure the server does not classify is answered internal with the message "internal error".', 'a raft that fails'),
  cooperation('errors.configuration-read-fails', '§7', undefined, 'A server whose raft fails to read its configuration answers `members` with internal (or timeout), not unsupported.', 'a raft whose configuration read fails'),
  cooperation('errors.unsupported-role', '§8', 'unsupported_role', 'A cluster that cannot add a server in the requested role answers unsupported_role.', 'a raft without non-voters (the kit joins non-voters; change.join reports it)'),
  cooperation('life.request-timeout', '§9', undefined, 'A request not done within the request timeout is answered timeout.', 'a raft that does not commit in time'),
  cooperation('hello.busy-raft-streams', '§2', '8', 'Raft streams beyond those waiting for the raft transport are refused with Busy.', 'a raft transport that does not accept streams'),
];
