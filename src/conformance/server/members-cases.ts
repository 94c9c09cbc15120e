import { MEMBERS_PAGE_BYTES } from '../../protocol/messages.js';
import { Requirement, fail, pass, skip, type CaseDefinition, type Verdict } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { describeResponse, type CheckedResponse } from '../response-check.js';
import type { WirePeer } from '../wire-peer.js';
import type { ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must } = Requirement;
const NEEDS_MEMBERS = 'a target that serves its configuration (the default; not --no-members)';

/** A `members` request as rid `rid`, with an `offset` field when given (any encoding). */
export const membersRequest = (rid: number, offset?: Buffer): Buffer =>
  mp.frame(mp.fields([['type', mp.str('members')], ['rid', mp.int(rid)], ...(offset === undefined ? [] : ([['offset', offset]] as [string, Buffer][]))]));

/** Asks for one page; the answer must be a valid members answer with `rid`. */
async function page(c: ServerContext, peer: WirePeer, rid: number, offset?: Buffer): Promise<{ ok: true; response: CheckedResponse; length: number } | { ok: false; observed: string }> {
  peer.send(membersRequest(rid, offset));
  const got = await c.response(peer, 'members');
  if (!got.ok) return got;
  const { response } = got;
  if (response.rid !== rid) return { ok: false, observed: `answered rid ${response.rid}, not ${rid}` };
  if (response.problems.length > 0) return { ok: false, observed: `answered with ${response.problems.join('; ')}` };
  if (response.ok !== true) return { ok: false, observed: `answered ${describeResponse(response)}` };
  return got;
}

/** Skips unless the target leads and serves its configuration. */
function servedOrSkip(c: ServerContext): Verdict | undefined {
  if (!c.options.members) return skip('the target does not serve its configuration (--no-members)');
  return c.needsLeader();
}

/** §7: `members` requests and their pages. */
export const membersCases: readonly ServerCase[] = [
  {
    name: 'members.answered',
    section: '§7',
    requirement: Must,
    description: 'The leader answers `members` with ok and a valid `members` array (ids, addresses, roles), in a response of at most 65536 bytes.',
    needs: NEEDS_MEMBERS,
    async run(c) {
      const blocked = servedOrSkip(c);
      if (blocked) return blocked;
      const got = await page(c, await c.accepted(), 1);
      return got.ok ? pass(describeResponse(got.response)) : fail(got.observed);
    },
  },
  {
    name: 'members.unsupported',
    section: '§8',
    row: 'unsupported',
    requirement: Must,
    description: 'A leader that does not serve its configuration answers `members` with unsupported.',
    needs: 'a target that does not serve its configuration (--no-members)',
    async run(c) {
      if (c.options.members) return skip('the target serves its configuration: run with --no-members against one that does not');
      const blocked = c.needsLeader();
      if (blocked) return blocked;
      const peer = await c.accepted();
      peer.send(membersRequest(1));
      return c.refusedWith(peer, 1, 'unsupported');
    },
  },
  {
    name: 'members.offset',
    section: '§7',
    requirement: Must,
    description: '`offset: 1` gets the configuration from its second server on, with the same index as `offset` 0.',
    needs: NEEDS_MEMBERS,
    async run(c) {
      const blocked = servedOrSkip(c);
      if (blocked) return blocked;
      const peer = await c.accepted();
      const first = await page(c, peer, 1);
      if (!first.ok) return fail(`offset 0: ${first.observed}`);
      const second = await page(c, peer, 2, mp.int(1));
      if (!second.ok) return fail(`offset 1: ${second.observed}`);
      const want = first.response.members!.slice(1);
      const got = second.response.members!.slice(0, want.length);
      if (second.response.index !== first.response.index) return fail(`index ${second.response.index} at offset 1, ${first.response.index} at offset 0`);
      const same = JSON.stringify(got) === JSON.stringify(want) && (first.response.next !== undefined || second.response.members!.length === want.length);
      const ids = (members: readonly { id: string }[]): string => members.map((m) => m.id).join(', ');
      return same ? pass(`offset 1 gave the ${want.length} servers after the first`) : fail(`offset 1 gave [${ids(second.response.members!)}], not [${ids(want)}]`);
    },
  },
  {
    name: 'members.offset-past-end',
    section: '§7',
    requirement: Must,
    description: 'An `offset` at or past the end (4294967295) gets an empty `members` array and no `next`.',
    needs: NEEDS_MEMBERS,
    async run(c) {
      const blocked = servedOrSkip(c);
      if (blocked) return blocked;
      const got = await page(c, await c.accepted(), 1, mp.int(0xffff_ffff));
      if (!got.ok) return fail(got.observed);
      const { members, next } = got.response;
      return members!.length === 0 && next === undefined ? pass('an empty array, no next') : fail(describeResponse(got.response));
    },
  },
  {
    name: 'members.offset-nil',
    section: '§7',
    requirement: Must,
    description: 'A key whose value is nil reads as absent: `offset: nil` is offset 0.',
    needs: NEEDS_MEMBERS,
    async run(c) {
      const blocked = servedOrSkip(c);
      if (blocked) return blocked;
      const got = await page(c, await c.accepted(), 1, mp.nil());
      return got.ok ? pass(describeResponse(got.response)) : fail(got.observed);
    },
  },
  {
    name: 'members.offset-invalid',
    section: '§7',
    requirement: Must,
    description: 'An `offset` that is no uint32 (-1, 1.5, "1", 2^32) is answered bad_request.',
    needs: NEEDS_MEMBERS,
    async run(c) {
      const blocked = servedOrSkip(c);
      if (blocked) return blocked;
      const failures: string[] = [];
      for (const [name, offset] of Object.entries({ '-1': mp.int(-1), '1.5': mp.float(1.5), string: mp.str('1'), '2^32': mp.int(2 ** 32) })) {
        const peer = await c.accepted();
        peer.send(membersRequest(1, offset));
        const verdict = await c.refusedWith(peer, 1, 'bad_request', 'members');
        peer.destroy();
        if (verdict.kind !== 'pass') failures.push(`${name}: ${verdict.observed}`);
      }
      return failures.length === 0 ? pass('bad_request for each') : fail(failures.join('; '));
    },
  },
  {
    name: 'members.pages',
    section: '§7',
    requirement: Must,
    description: 'A configuration too large for one answer comes in pages of at most 65536 bytes: following `next` gets every server once, all pages with one index.',
    needs: 'a configuration larger than one answer (about 240 servers with 256-byte ids)',
    async run(c) {
      const blocked = servedOrSkip(c);
      if (blocked) return blocked;
      const peer = await c.accepted();
      const seen: string[] = [];
      let index: number | undefined;
      let offset: number | undefined;
      for (let rid = 1; ; rid++) {
        const got = await page(c, peer, rid, offset === undefined ? undefined : mp.int(offset));
        if (!got.ok) return fail(`page at offset ${offset ?? 0}: ${got.observed}`);
        if (got.length > MEMBERS_PAGE_BYTES) return fail(`a page of ${got.length} bytes`);
        if (rid > 1 && got.response.index !== index) return fail(`the index changed between pages (${index} → ${got.response.index}): run again on a quiet cluster`);
        index = got.response.index;
        seen.push(...got.response.members!.map((m) => m.id));
        const next = got.response.next;
        if (next === undefined) break;
        if (next <= (offset ?? 0) || next !== (offset ?? 0) + got.response.members!.length) return fail(`next ${next} after ${got.response.members!.length} servers from offset ${offset ?? 0}`);
        offset = next;
      }
      if (offset === undefined) return skip(`the configuration (${seen.length} servers) fits one answer: paging cannot be seen`);
      return new Set(seen).size === seen.length ? pass(`${seen.length} servers in pages up to offset ${offset}`) : fail('a server came twice across the pages');
    },
  },
];
