import { WireErrorCode } from '../../protocol/messages.js';
import { Requirement, type CaseDefinition } from '../case.js';
import { serve, type ClientContext } from './client-context.js';
import { closedConnection, connections, ended, failed, judge, reportedIndex, requests, succeeded } from './judge.js';
import type { Script } from './script-server.js';

type ClientCase = CaseDefinition<ClientContext>;
const { Must, Should } = Requirement;

/** A case where the answer is an error the dialer must not retry: it fails on one request, one connection. */
function finalCode(name: string, code: string, description: string, operation: 'join' | 'members' = 'join', message: string | undefined = `rftm-conformance ${code}`): ClientCase {
  return {
    name,
    section: '§8',
    // A code the dialer does not know is read as internal (§8).
    row: (Object.values(WireErrorCode) as string[]).includes(code) ? code : WireErrorCode.Internal,
    requirement: Must,
    description,
    async run(c) {
      const server = await c.listen(serve(() => ({ ok: false, code, ...(message === undefined ? {} : { message }) })));
      const run = await c.dial(server, { operation });
      return judge(`failed after ${code}, without trying again`, failed(run), requests(server, 1, operation), connections(server, 1));
    },
  };
}

/** A case where `code` is answered `times` times, then success: the dialer should try again and succeed. */
function retriedCode(name: string, code: string, times: number, description: string): ClientCase {
  return {
    name,
    section: '§8',
    row: code,
    requirement: Should,
    description,
    async run(c) {
      const server = await c.listen(serve((_r, _conn, n) => (n < times ? { ok: false, code, message: `rftm-conformance ${code}` } : { ok: true, index: 5 })));
      const run = await c.dial(server);
      return judge(`tried again after ${code} and succeeded`, succeeded(run), reportedIndex(run, 5), requests(server, times + 1));
    },
  };
}

/** Answers every request with different_leader naming `leader` (an address, or a thunk for one known later). */
const redirectTo = (leader: () => string): Script => serve(() => ({ ok: false, code: 'different_leader', message: 'not the leader', leader: leader() }));

/** A case where the first connection's answer is a different_leader the dialer cannot decode; later ones are served. */
function undecodableRedirect(name: string, description: string, fields: Record<string, unknown>): ClientCase {
  return {
    name,
    section: '§8',
    row: 'different_leader',
    requirement: Must,
    description,
    async run(c) {
      const ok = serve(() => ({ ok: true, index: 1 }));
      const broken = serve(() => ({ ok: false, code: 'different_leader', message: 'not the leader', ...fields }));
      const server = await c.listen((conn) => (conn.index === 0 ? broken(conn) : ok(conn)));
      const run = await c.dial(server);
      return judge('closed the connection, as for any response it cannot decode', closedConnection(server, 0), ended(run));
    },
  };
}

/** §8: what a dialer does with each error code. */
export const dialerErrorCases: readonly ClientCase[] = [
  finalCode('dialer.bad-request', 'bad_request', 'bad_request: the request was invalid; the dialer fails without sending it again.'),
  finalCode('dialer.unsupported-role', 'unsupported_role', 'unsupported_role: the dialer fails without trying again.'),
  finalCode('dialer.rejected', 'rejected', 'rejected: the cluster refused the change for good; the dialer fails without trying again.'),
  finalCode('dialer.internal', 'internal', 'internal: the dialer fails without trying again.', 'join', 'internal error'),
  finalCode('dialer.unsupported', 'unsupported', 'unsupported, in answer to members: the server does not serve its configuration; the dialer fails without trying again.', 'members'),
  finalCode('dialer.unknown-code', 'rftm_unknown_code', 'A code the dialer does not know is treated as internal: it fails without trying again.'),
  finalCode('dialer.error-without-message', 'rejected', 'An error without `message` reads as one with an empty message: a rejected without one still fails the call, without a retry.', 'join', undefined),
  retriedCode('dialer.unknown-leader', 'unknown_leader', 2, 'unknown_leader twice, then success: the dialer backs off, tries again and succeeds.'),
  retriedCode('dialer.timeout', 'timeout', 1, 'timeout (outcome unknown), then success: join is idempotent, so the dialer tries again and succeeds.'),
  retriedCode('dialer.shutting-down-code', 'shutting_down', 1, 'shutting_down, then success: the dialer tries again and succeeds.'),
  {
    name: 'dialer.redirect',
    section: '§8',
    row: 'different_leader',
    requirement: Should,
    description: 'different_leader names the leader: the dialer sends the request there and succeeds.',
    async run(c) {
      const leader = await c.listen(serve(() => ({ ok: true, index: 8 })));
      const follower = await c.listen(redirectTo(() => leader.address));
      const run = await c.dial(follower);
      return judge('followed to the leader', succeeded(run), reportedIndex(run, 8), requests(leader, 1));
    },
  },
  {
    name: 'dialer.redirect-chain',
    section: '§8',
    row: 'different_leader',
    requirement: Should,
    description: 'Two redirects in a row (A names B, B names C, C leads): the dialer follows both and succeeds.',
    async run(c) {
      const leader = await c.listen(serve(() => ({ ok: true, index: 8 })));
      const middle = await c.listen(redirectTo(() => leader.address));
      const first = await c.listen(redirectTo(() => middle.address));
      const run = await c.dial(first);
      return judge('followed both', succeeded(run), requests(leader, 1));
    },
  },
  {
    name: 'dialer.redirect-loop',
    section: '§8',
    row: 'different_leader',
    requirement: Must,
    description: 'Two servers naming each other as leader: the dialer bounds the hops it follows, and fails by its deadline without a storm of requests (at most 100).',
    async run(c) {
      let other = '';
      const b = await c.listen(redirectTo(() => other));
      const a = await c.listen(redirectTo(() => b.address));
      other = a.address;
      const run = await c.dial(a);
      const total = a.requests.length + b.requests.length;
      return judge(`stopped after ${total} requests`, failed(run), total <= 100 ? undefined : `${total} requests in ${run.durationMs} ms`);
    },
  },
  undecodableRedirect('dialer.redirect-without-leader', 'A different_leader without `leader` cannot be decoded: the dialer closes the connection.', {}),
  undecodableRedirect('dialer.redirect-bad-leader', 'A different_leader whose `leader` is not an address ("nowhere") cannot be decoded: the dialer closes the connection.', { leader: 'nowhere' }),
  {
    name: 'dialer.redirect-members',
    section: '§7',
    requirement: Should,
    description: 'A members request answered different_leader by a follower: the dialer follows it as for a change, and reads the leader\'s configuration.',
    async run(c) {
      const leader = await c.listen(serve(() => ({ ok: true, index: 4, members: [{ id: 'n1', address: '192.0.2.1:7000', role: 'voter' }] })));
      const follower = await c.listen(redirectTo(() => leader.address));
      const run = await c.dial(follower, { operation: 'members' });
      const members = run.result?.members;
      return judge('followed to the leader', succeeded(run), Array.isArray(members) && members.length === 1 ? undefined : `it reported members ${JSON.stringify(members)}`);
    },
  },
];
