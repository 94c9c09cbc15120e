import type { RequestMessage } from '../../protocol/messages.js';
import { Requirement, fail, pass, type CaseDefinition, type Verdict } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { DIALER_ADDRESS, DIALER_ID, serve, type CallSettings, type ClientContext } from './client-context.js';
import { closedConnection, ended, failed, judge, reportedIndex, requests, succeeded } from './judge.js';
import type { Script } from './script-server.js';

type ClientCase = CaseDefinition<ClientContext>;
const { Must, May, Should } = Requirement;

const pairs = (fields: readonly (readonly [string, Buffer])[], form?: mp.ContainerForm): Buffer => mp.fields(fields, form);
const head = (rid: number): [string, Buffer][] => [
  ['rid', mp.int(rid)],
  ['ok', mp.bool(true)],
];

/** A case whose answer to the request is `payload(rid)`: the call must succeed with `index` reported, on one request. */
function readsSuccess(name: string, section: string, description: string, payload: (rid: number) => Buffer, index: number | undefined, call: CallSettings = {}): ClientCase {
  return {
    name,
    section,
    requirement: Must,
    description,
    async run(c) {
      const server = await c.listen(serve((request) => payload(request.rid ?? 0)));
      const run = await c.dial(server, call);
      return judge(`succeeded${index === undefined ? ' without an index' : ` with index ${index}`}, on one request`, succeeded(run), requests(server, 1), reportedIndex(run, index));
    },
  };
}

/**
 * A case whose first connection gets `bytes(rid)` in answer to its request
 * (something the dialer cannot decode) and whose later connections are
 * served: the dialer must close that connection; trying again is its choice.
 */
function refusesResponse(name: string, section: string, description: string, bytes: (rid: number) => Buffer): ClientCase {
  return {
    name,
    section,
    requirement: Must,
    description,
    async run(c) {
      const ok = serve(() => ({ ok: true, index: 1 }));
      const broken: Script = async (conn) => {
        if (!(await conn.accept())) return;
        const request = await conn.readRequest();
        if (!request) return;
        conn.send(bytes(request.rid ?? 0));
        await conn.closedWithin(c.settings.waitMs);
      };
      const server = await c.listen((conn) => (conn.index === 0 ? broken(conn) : ok(conn)));
      const run = await c.dial(server);
      const after = server.connections.length > 1 ? `, then ${run.exitCode === 0 ? 'tried again and succeeded' : 'failed'}` : '';
      return judge(`closed the connection${after}`, closedConnection(server, 0), ended(run));
    },
  };
}

/** A success for `rid` (index 1) with an unknown key `x` holding `value` (raw bytes): the payload. */
const successPayload = (rid: number, value: Buffer): Buffer => pairs([...head(rid), ['index', mp.int(1)], ['x', value]]);
/** The same as a frame. */
const successWith = (rid: number, value: Buffer): Buffer => mp.frame(successPayload(rid, value));

/** §6, §7 and §9: how a dialer reads responses. */
export const dialerResponseCases: readonly ClientCase[] = [
  {
    name: 'dialer.request-join',
    section: '§7',
    requirement: Must,
    description: 'A join request is a map of `type` "join", an integer `rid` 0 … 4294967295, the `id`, `address` and `role` asked for, written by §6\'s rules.',
    run: (c) => requestShape(c, { operation: 'join' }, (r) => r.type === 'join' && r.id === DIALER_ID && r.address === DIALER_ADDRESS && r.role === 'voter'),
  },
  {
    name: 'dialer.request-leave',
    section: '§7',
    requirement: Must,
    description: 'A leave request is a map of `type` "leave", an integer `rid` and the `id` asked for.',
    run: (c) => requestShape(c, { operation: 'leave' }, (r) => r.type === 'leave' && r.id === DIALER_ID),
  },
  {
    name: 'dialer.request-members',
    section: '§7',
    requirement: Must,
    description: 'A members request is a map of `type` "members" and an integer `rid` (`offset` absent or 0 for the first page).',
    run: (c) => requestShape(c, { operation: 'members' }, (r) => r.type === 'members' && (r.offset ?? 0) === 0),
  },
  readsSuccess('dialer.success', '§7', 'A success with an index: the call succeeds and reports the index (42).', (rid) => mp.value({ rid, ok: true, index: 42 }), 42),
  readsSuccess('dialer.success-without-index', '§7', 'A success without an index: the call succeeds and reports none.', (rid) => mp.value({ rid, ok: true }), undefined),
  readsSuccess('dialer.index-uint64', '§6', 'An index of 2^32 + 1 written as uint64 (`cf`) is read exactly.', (rid) => pairs([...head(rid), ['index', mp.int(2 ** 32 + 1, 'u64')]]), 2 ** 32 + 1),
  readsSuccess('dialer.index-int64', '§6', 'An index written as int64 (`d3`) is read like any integer (42).', (rid) => pairs([...head(rid), ['index', mp.int(42, 'i64')]]), 42),
  readsSuccess('dialer.index-int64-large', '§6', 'An index of 2^32 + 1 written as int64 (`d3`), as some servers write every index that large, is read exactly.', (rid) => pairs([...head(rid), ['index', mp.int(2 ** 32 + 1, 'i64')]]), 2 ** 32 + 1),
  readsSuccess('dialer.index-beyond-2^53', '§7', 'A success whose index is above 2^53-1 (a uint64) is a success without an index, not a response the dialer cannot decode.', (rid) => pairs([...head(rid), ['index', mp.int(2n ** 53n + 10n, 'u64')]]), undefined),
  readsSuccess('dialer.index-fraction', '§7', 'A success whose index is 1.5 is a success without an index: the change was made, a retry would only repeat it.', (rid) => pairs([...head(rid), ['index', mp.float(1.5)]]), undefined),
  readsSuccess('dialer.index-string', '§7', 'A success whose index is the string "42" is a success without an index.', (rid) => pairs([...head(rid), ['index', mp.str('42')]]), undefined),
  readsSuccess('dialer.index-negative', '§7', 'A success whose index is -1 is a success without an index.', (rid) => pairs([...head(rid), ['index', mp.int(-1)]]), undefined),
  {
    name: 'dialer.index-whole-float',
    section: '§6',
    requirement: May,
    description: 'An index of 7.0 (float64): a dialer MAY read it as 7, or as no index; the call succeeds either way.',
    async run(c) {
      const server = await c.listen(serve((request) => pairs([...head(request.rid ?? 0), ['index', mp.float(7)]])));
      const run = await c.dial(server);
      const problem = succeeded(run);
      return problem ? fail(problem) : pass(`reported index ${JSON.stringify(run.result?.index ?? null)}`);
    },
  },
  readsSuccess('dialer.members-key-ignored', '§7', 'The answer to a join holding `members: 5` and `next: "x"`: keys a dialer reads only for a members request, ignored here; the join succeeded at index 56.', (rid) =>
    pairs([...head(rid), ['index', mp.int(56)], ['members', mp.int(5)], ['next', mp.str('x')]]), 56),
  readsSuccess('dialer.unknown-keys', '§7', 'Keys a dialer does not know are ignored, whatever they hold: a map, an array, nil, a bin, float32 and float64, a boolean, and keys that are not strings.', (rid) =>
    mp.map([
      [mp.str('zone'), mp.map([[mp.str('a'), mp.array([mp.nil(), mp.float(0.5, true)])]])],
      [mp.str('rid'), mp.int(rid)],
      [mp.int(7), mp.str('integer key')],
      [mp.str('ok'), mp.bool(true)],
      [mp.nil(), mp.int(1)],
      [mp.str('blob'), mp.bin(Buffer.from([0xc1]))],
      [mp.str('index'), mp.int(42)],
      [mp.str('weight'), mp.float(2.5)],
      [mp.array([]), mp.bool(false)],
    ]), 42),
  readsSuccess('dialer.encodings', '§6', 'Every valid encoding is read: a map16, str8 and str16 keys, the rid as uint64, the index as uint32.', (rid) =>
    mp.map([
      [mp.str('rid', 'str8'), mp.int(rid, 'u64')],
      [mp.str('ok', 'str16'), mp.bool(true)],
      [mp.str('index', 'str8'), mp.int(42, 'u32')],
    ], '16'), 42),
  readsSuccess('dialer.repeated-key', '§6', 'A key repeated in one map: the last one counts (`ok` false then true, `index` 1 then 2).', (rid) =>
    pairs([['rid', mp.int(rid)], ['ok', mp.bool(false)], ['index', mp.int(1)], ['ok', mp.bool(true)], ['index', mp.int(2)]]), 2),
  readsSuccess('dialer.depth-32', '§6', 'Maps and arrays 32 deep (the response and 31 arrays under an unknown key) are read.', (rid) =>
    successPayload(rid, Buffer.concat([Buffer.alloc(31, 0x91), Buffer.from([0])])), 1),
  {
    name: 'dialer.depth-33',
    section: '§6',
    requirement: May,
    description: 'Maps and arrays 33 deep under an unknown key: a dialer MAY refuse the response (closing) or read it.',
    async run(c) {
      const server = await c.listen(serve((request) => successPayload(request.rid ?? 0, Buffer.concat([Buffer.alloc(32, 0x91), Buffer.from([0])]))));
      const run = await c.dial(server);
      return pass(server.connections[0]?.closedByDialer && run.exitCode !== 0 ? 'refused it' : `read it: ${run.exitCode === 0 ? 'succeeded' : `exited ${run.exitCode}`}`);
    },
  },
  {
    name: 'dialer.largest-response',
    section: '§7',
    requirement: Must,
    description: 'A dialer reads responses up to 65536 bytes: a members answer padded to exactly that is read.',
    async run(c) {
      const build = (rid: number, pad: number): Buffer =>
        pairs([...head(rid), ['members', mp.array([mp.value({ id: 'n1', address: '192.0.2.1:7000', role: 'voter' })])], ['pad', mp.str(Buffer.alloc(pad, 0x70), 'str32')]]);
      const server = await c.listen(serve((request) => build(request.rid ?? 0, 65_536 - build(request.rid ?? 0, 0).length)));
      const run = await c.dial(server, { operation: 'members' });
      const members = run.result?.members;
      return judge('read it', succeeded(run), Array.isArray(members) && members.length === 1 ? undefined : `it reported members ${JSON.stringify(members)}`);
    },
  },
  refusesResponse('dialer.frame-empty', '§6', 'A response frame declaring 0 bytes is invalid: the dialer closes the connection.', () => Buffer.alloc(4)),
  refusesResponse('dialer.frame-oversized', '§6', 'A response header declaring 2^31 - 1 bytes is refused from the header alone: the dialer closes without waiting for a payload.', () => Buffer.from([0x7f, 0xff, 0xff, 0xff])),
  refusesResponse('dialer.extension', '§6', 'A response holding an extension type (under an unknown key) is invalid: the dialer closes the connection.', (rid) => successWith(rid, mp.ext(1, Buffer.alloc(4)))),
  refusesResponse('dialer.c1', '§6', 'A response holding the byte 0xc1 where a value starts is invalid: the dialer closes the connection.', (rid) => successWith(rid, Buffer.from([0xc1]))),
  refusesResponse('dialer.trailing-byte', '§6', 'A response payload with a byte after its one value is invalid: the dialer closes the connection.', (rid) => {
    const payload = mp.value({ rid, ok: true, index: 1 });
    return mp.frame(Buffer.concat([payload, Buffer.from([0xc0])]));
  }),
  refusesResponse('dialer.not-a-map', '§9', 'A response that is not a map (an array) cannot be decoded: the dialer closes the connection.', (rid) => mp.frame(mp.array([mp.int(rid), mp.bool(true)]))),
  refusesResponse('dialer.ok-missing', '§9', 'A response without `ok` cannot be decoded: the dialer closes the connection.', (rid) => mp.frame(mp.value({ rid, index: 1 }))),
  {
    name: 'dialer.unknown-rid',
    section: '§9',
    requirement: Must,
    description: 'A response whose rid is not in flight is ignored: the dialer reads on, and takes the one with its rid (index 42, not the stray 999).',
    async run(c) {
      const server = await c.listen(async (conn) => {
        if (!(await conn.accept())) return;
        const rid = (await conn.readRequest())?.rid ?? 0;
        conn.respond((rid + 1) % 2 ** 32, { ok: true, index: 999 });
        conn.respond(rid, { ok: true, index: 42 });
        await conn.closedWithin(c.settings.waitMs);
      });
      const run = await c.dial(server);
      return judge('took the answer to its request', succeeded(run), reportedIndex(run, 42), requests(server, 1));
    },
  },
  {
    name: 'dialer.response-never-comes',
    section: '§9',
    requirement: Must,
    description: 'A server that reads the request and never answers: one deadline covers the call, and the dialer fails by then.',
    async run(c) {
      const server = await c.listen(serve(() => undefined, { hold: c.settings.timeoutMs + c.settings.graceMs + 1_000 }));
      const run = await c.dial(server);
      return judge(`gave up within its deadline (${run.durationMs} ms)`, failed(run));
    },
  },
  {
    name: 'dialer.connection-lost',
    section: '§9',
    requirement: Should,
    description: 'A connection closed before the answer leaves the outcome unknown; join is idempotent, so the dialer tries again and succeeds.',
    async run(c) {
      const ok = serve(() => ({ ok: true, index: 3 }));
      const server = await c.listen(async (conn) => {
        if (conn.index > 0) return ok(conn);
        if (await conn.accept()) await conn.readRequest();
      });
      const run = await c.dial(server);
      return judge('tried again and succeeded', succeeded(run), requests(server, 2));
    },
  },
];

/** Serves the call; passes when the first request satisfies `right` and breaks no rule of §6. */
async function requestShape(c: ClientContext, call: CallSettings, right: (request: RequestMessage) => boolean): Promise<Verdict> {
  const server = await c.listen(serve((request) => (request.request?.type === 'members' ? { ok: true, index: 1, members: [] } : { ok: true, index: 1 })));
  await c.dial(server, call);
  const got = server.requests[0];
  if (!got) return fail('no request came');
  if (got.problems.length > 0) return fail(got.problems.join('; '));
  return got.request && right(got.request) ? pass(JSON.stringify(got.request)) : fail(`the request was ${JSON.stringify(got.request)}`);
}
