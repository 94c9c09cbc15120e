import { Requirement, fail, type CaseDefinition } from '../case.js';
import { serve, type ClientContext } from './client-context.js';
import { closedConnection, ended, judge, succeeded } from './judge.js';
import type { DialerRun } from './dialer.js';
import type { Script } from './script-server.js';

type ClientCase = CaseDefinition<ClientContext>;
const { Must } = Requirement;

/** A server of a configuration, as the kit writes it. */
interface Entry {
  readonly id: string;
  readonly address: string;
  readonly role?: string | null;
}

const entry = (n: number, role: string | null | undefined = 'voter'): Entry => ({ id: `n${n}`, address: `192.0.2.${n}:7000`, ...(role === undefined ? {} : { role }) });

/** The members the dialer reported must be `want` (roles defaulting to voter), in order. */
function reportedMembers(run: DialerRun, want: readonly Entry[]): string | undefined {
  const got = run.result?.members;
  if (!Array.isArray(got)) return `it reported members ${JSON.stringify(got)} (see the dialer contract)`;
  const norm = (list: readonly unknown[]): string =>
    JSON.stringify(list.map((m) => {
      const { id, address, role } = m as Record<string, unknown>;
      return { id, address, role: role ?? 'voter' };
    }));
  return norm(got) === norm(want) ? undefined : `it reported ${norm(got)}, not ${norm(want)}`;
}

/** The offsets asked for, in order (absent as 0). */
function offsets(requests: readonly { request?: { type: string; offset?: number } | undefined }[]): number[] {
  return requests.map((r) => (r.request?.type === 'members' ? (r.request.offset ?? 0) : -1));
}

/** Answers members requests from `pages`: the page whose offset is asked, with `next` set when more follow. */
function paged(index: (n: number) => number, config: (n: number) => readonly Entry[], size: number): Script {
  return serve((request, _conn, n) => {
    const offset = request.request?.type === 'members' ? (request.request.offset ?? 0) : 0;
    const all = config(n);
    const members = all.slice(offset, offset + size);
    const next = offset + size < all.length ? offset + size : undefined;
    return { ok: true, index: index(n), members, ...(next === undefined ? {} : { next }) };
  });
}

/** §7: members answers and their pages, as a dialer reads them. */
export const dialerMembersCases: readonly ClientCase[] = [
  {
    name: 'dialer.members',
    section: '§7',
    requirement: Must,
    description: 'A members answer is read whole: entries with a role, without one and with `role: nil` (both voters), and unknown keys in entries ignored.',
    async run(c) {
      const want = [entry(1), entry(2, 'nonvoter'), entry(3, undefined), entry(4, null)];
      const server = await c.listen(serve(() => ({ ok: true, index: 9, members: want.map((e, i) => (i === 0 ? { ...e, zone: 'eu-1' } : e)) })));
      const run = await c.dial(server, { operation: 'members' });
      return judge('read every entry', succeeded(run), reportedMembers(run, want));
    },
  },
  {
    name: 'dialer.members-pages',
    section: '§7',
    requirement: Must,
    description: 'An answer with `next` is not the whole configuration: the dialer asks again with `offset` = `next` until an answer has none (three pages of two).',
    async run(c) {
      const all = [1, 2, 3, 4, 5].map((n) => entry(n));
      const server = await c.listen(paged(() => 11, () => all, 2));
      const run = await c.dial(server, { operation: 'members' });
      const asked = offsets(server.requests);
      return judge(`followed every page (offsets ${asked.join(', ')})`, succeeded(run), asked.join() === '0,2,4' ? undefined : `it asked for offsets ${asked.join(', ')}, not 0, 2, 4`, reportedMembers(run, all));
    },
  },
  {
    name: 'dialer.members-index-changes',
    section: '§7',
    requirement: Must,
    description: 'When a page\'s index differs from the first page\'s, the configuration changed in between: the dialer starts again from offset 0 and reports only the new configuration.',
    async run(c) {
      const before = [1, 2, 3].map((n) => entry(n));
      const after = [entry(1), entry(3), entry(6)];
      const server = await c.listen(paged((n) => (n === 0 ? 20 : 21), (n) => (n === 0 ? before : after), 2));
      const run = await c.dial(server, { operation: 'members' });
      const asked = offsets(server.requests);
      if (asked[2] !== 0) return fail(`after the index changed it asked for offsets ${asked.join(', ')}: no new start at 0`);
      return judge(`started again (offsets ${asked.join(', ')})`, succeeded(run), reportedMembers(run, after));
    },
  },
  {
    name: 'dialer.members-bad-entry',
    section: '§7',
    requirement: Must,
    description: 'One bad entry (an address that is not one) makes the whole answer undecodable: the dialer closes the connection and never reports the rest as the configuration.',
    async run(c) {
      const good = [entry(1), entry(2)];
      const ok = serve(() => ({ ok: true, index: 9, members: good }));
      const broken = serve(() => ({ ok: true, index: 9, members: [good[0], { id: 'n2', address: 'nowhere' }] }));
      const server = await c.listen((conn) => (conn.index === 0 ? broken(conn) : ok(conn)));
      const run = await c.dial(server, { operation: 'members' });
      return judge('refused the answer', closedConnection(server, 0), ended(run), run.exitCode === 0 ? reportedMembers(run, good) : undefined);
    },
  },
  {
    name: 'dialer.members-missing',
    section: '§7',
    requirement: Must,
    description: 'A success without `members` in answer to a members request cannot be decoded: the dialer closes the connection rather than report an empty configuration.',
    async run(c) {
      const good = [entry(1)];
      const ok = serve(() => ({ ok: true, index: 9, members: good }));
      const broken = serve(() => ({ ok: true, index: 9 }));
      const server = await c.listen((conn) => (conn.index === 0 ? broken(conn) : ok(conn)));
      const run = await c.dial(server, { operation: 'members' });
      return judge('refused the answer', closedConnection(server, 0), ended(run), run.exitCode === 0 ? reportedMembers(run, good) : undefined);
    },
  },
];
