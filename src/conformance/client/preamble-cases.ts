import { computeProof, newNonce } from '../../protocol/auth.js';
import { ReplyStatus, replyStatusName } from '../../protocol/preamble.js';
import { Requirement, fail, pass, type CaseDefinition, type Verdict } from '../case.js';
import { frame, value } from '../msgpack-writer.js';
import { hex } from '../wire-peer.js';
import { serve, type ClientContext } from './client-context.js';
import { connections, ended, failed, judge, requests, succeeded } from './judge.js';
import type { ScriptConnection } from './script-server.js';

type ClientCase = CaseDefinition<ClientContext>;
const { Must, Should } = Requirement;
const NEEDS_SECRET = 'a dialer that takes a secret (not --no-secret)';

/** Answers every request with success at index 1. */
const answerOk = () => serve(() => ({ ok: true, index: 1 }));

/** A case where the server refuses the hello with `status`: the dialer must fail and not try again. */
function finalRefusal(name: string, status: number, detail: Buffer | string, description: string, section = '§3'): ClientCase {
  return {
    name,
    section,
    requirement: Must,
    description,
    async run(c) {
      const server = await c.listen(async (conn) => {
        if (!(await conn.readHello())) return;
        await conn.reply(status, detail);
        await conn.closedWithin(c.settings.waitMs);
      });
      const run = await c.dial(server);
      return judge(`failed after ${replyStatusName(status)}, with no second connection`, failed(run), connections(server, 1), requests(server, 0));
    },
  };
}

/** A case where the first connection is refused with `status` (by `refuse`) and the next one served: the dialer should try again. */
function retriedRefusal(name: string, description: string, refuse: (conn: ScriptConnection) => Promise<void>, options: { secret?: boolean; section?: string } = {}): ClientCase {
  return {
    name,
    section: options.section ?? '§3',
    requirement: Should,
    description,
    ...(options.secret ? { needs: NEEDS_SECRET } : {}),
    async run(c) {
      if (options.secret) {
        const blocked = c.needsSecret();
        if (blocked) return blocked;
      }
      const ok = answerOk();
      const server = await c.listen(async (conn) => (conn.index === 0 ? refuse(conn) : ok(conn)), { secret: options.secret === true });
      const run = await c.dial(server, { secret: options.secret === true });
      const gap = server.connections.length > 1 ? ` ${server.connections[1]!.at - server.connections[0]!.at} ms later` : '';
      return judge(`tried again${gap} and succeeded`, succeeded(run), requests(server, 1));
    },
  };
}

/** A case where, with a secret, the server's side of §4 goes wrong: the dialer must send no request, fail, and not try again. */
function refusedServer(name: string, description: string, play: (conn: ScriptConnection) => Promise<void>, section = '§4'): ClientCase {
  return {
    name,
    section,
    requirement: Must,
    description,
    needs: NEEDS_SECRET,
    async run(c) {
      const blocked = c.needsSecret();
      if (blocked) return blocked;
      const server = await c.listen(async (conn) => {
        await play(conn);
        await conn.closedWithin(c.settings.waitMs);
      }, { secret: true });
      const run = await c.dial(server, { secret: true });
      return judge('refused the server: no request sent, no second connection', requests(server, 0), failed(run), connections(server, 1));
    },
  };
}

/** Reads the hello and, for a secret, the answer to a right Challenge; resolves to proof_s (undefined: it went wrong). */
async function throughChallenge(conn: ScriptConnection): Promise<Buffer | undefined> {
  if (!(await conn.readHello())) return undefined;
  return conn.challenge();
}

/**
 * A right server that, once `reach` got the dialer to where Accepted is
 * due (resolving to its detail; undefined when the dialer did not get
 * there), waits the kit's quiet time before sending it, noting what the
 * dialer sent meanwhile (§1: nothing), then answers one request.
 */
async function quietBeforeAccepted(c: ClientContext, reply: string, reach: (conn: ScriptConnection) => Promise<Buffer | undefined>, secret = false): Promise<Verdict> {
  const server = await c.listen(async (conn) => {
    const detail = await reach(conn);
    if (detail === undefined) return;
    await conn.reply(ReplyStatus.Accepted, detail, c.settings.quietMs);
    if (conn.log.early.length > 0) return;
    const request = await conn.readRequest();
    if (request) conn.respond(request.rid ?? 0, { ok: true, index: 1 });
    await conn.closedWithin(c.settings.waitMs);
  }, { secret });
  const run = await c.dial(server, { secret });
  const early = server.connections[0]?.early ?? Buffer.alloc(0);
  return judge(`waited for ${reply}`, early.length > 0 ? `sent ${hex(early)} before ${reply}` : undefined, succeeded(run));
}

/** §2–§5, the dialer's side of the preamble. */
export const dialerPreambleCases: readonly ClientCase[] = [
  {
    name: 'dialer.hello',
    section: '§2',
    requirement: Must,
    description: 'The hello is `RFTM`, version 1, channel 1 (membership), flags 0, then the cluster name given ("rftm-conformance") with its length.',
    async run(c) {
      const server = await c.listen(answerOk());
      const run = await c.dial(server, { clusterName: 'rftm-conformance' });
      const hello = server.connections[0]?.hello;
      if (!hello) return fail(`no whole hello came; the dialer ${run.exitCode === undefined ? 'did not end' : `exited ${run.exitCode}`}`);
      const want = Buffer.concat([Buffer.from('RFTM\x01\x01\x00', 'latin1'), Buffer.from([16]), Buffer.from('rftm-conformance')]);
      return hello.equals(want) ? pass(`hello ${hex(hello)}`) : fail(`hello ${hex(hello)}, not ${hex(want)}`);
    },
  },
  {
    name: 'dialer.waits-for-reply',
    section: '§1',
    requirement: Must,
    description: 'A dialer sends nothing after its hello until it has read the reply (the kit waits before replying), and after Accepted goes on.',
    run: (c) => quietBeforeAccepted(c, 'the reply', async (conn) => ((await conn.readHello()) ? Buffer.alloc(0) : undefined)),
  },
  {
    name: 'dialer.split-reply',
    section: '§3',
    requirement: Must,
    description: 'A reply that arrives one byte per TCP segment, and a response likewise, are read whole: the call succeeds.',
    async run(c) {
      const server = await c.listen(async (conn) => {
        if (!(await conn.readHello())) return;
        conn.send(Buffer.from([0x00]));
        await new Promise((resolve) => setTimeout(resolve, 20));
        conn.send(Buffer.from([0x00]));
        const request = await conn.readRequest();
        if (!request) return;
        const bytes = frame(value({ rid: request.rid, ok: true, index: 9 }));
        for (const byte of bytes) {
          conn.send(Buffer.from([byte]));
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
        await conn.closedWithin(c.settings.waitMs);
      });
      const run = await c.dial(server);
      return judge('read both whole', succeeded(run), requests(server, 1));
    },
  },
  finalRefusal('dialer.bad-preamble', ReplyStatus.BadPreamble, 'bad hello', 'After BadPreamble the dialer fails and opens no other connection to that server.'),
  finalRefusal('dialer.unknown-channel', ReplyStatus.UnknownChannel, 'no such channel', 'After UnknownChannel the dialer fails and opens no other connection.'),
  finalRefusal('dialer.wrong-cluster', ReplyStatus.WrongCluster, 'wrong cluster', 'After WrongCluster the dialer fails and does not try that server again.'),
  finalRefusal('dialer.unknown-status', 0x20, 'what', 'A reply status the dialer does not know (0x20) makes it close and fail, without trying again.'),
  finalRefusal('dialer.unsupported-version', ReplyStatus.UnsupportedVersion, Buffer.from([1]), 'UnsupportedVersion naming the version the dialer just asked for (1): it fails, without a loop of reconnections.'),
  finalRefusal('dialer.unsupported-version-2-bytes', ReplyStatus.UnsupportedVersion, Buffer.from([2, 0]), 'UnsupportedVersion with 2 bytes of detail is a broken reply (never read from its first byte): the dialer fails without trying again.'),
  finalRefusal('dialer.unsupported-version-empty', ReplyStatus.UnsupportedVersion, Buffer.alloc(0), 'UnsupportedVersion with no detail is a broken reply: the dialer fails without trying again.'),
  finalRefusal('dialer.accepted-with-detail', ReplyStatus.Accepted, Buffer.alloc(32, 7), 'Accepted carrying 32 bytes of detail in answer to a hello (no secret) is refused: no request, no second connection.'),
  {
    name: 'dialer.unsupported-version-other',
    section: '§3',
    requirement: Must,
    description: 'UnsupportedVersion naming version 2: a dialer that speaks it opens a new connection whose hello asks for 2; one that does not fails. Never another hello for version 1.',
    async run(c) {
      const server = await c.listen(async (conn) => {
        if (!(await conn.readHello())) return;
        await conn.reply(ReplyStatus.UnsupportedVersion, Buffer.from([2]));
        await conn.closedWithin(c.settings.waitMs);
      });
      const run = await c.dial(server);
      const later = server.connections.slice(1).map((log) => log.hello?.[4]);
      if (later.some((v) => v !== 2)) return fail(`connected again asking for version ${later.join(', ')}`);
      return judge(later.length === 0 ? 'failed without trying again' : 'asked for version 2 on a new connection', ended(run), later.length === 0 ? failed(run) : undefined);
    },
  },
  {
    name: 'dialer.auth-failed',
    section: '§3',
    requirement: Must,
    description: 'AuthFailed in answer to the auth answer: the dialer fails and does not try again (its secret is not the server\'s; another try would only repeat a wrong proof).',
    needs: NEEDS_SECRET,
    async run(c) {
      const blocked = c.needsSecret();
      if (blocked) return blocked;
      const server = await c.listen(async (conn) => {
        if (!(await throughChallenge(conn))) return;
        await conn.reply(ReplyStatus.AuthFailed, 'authentication failed');
        await conn.closedWithin(c.settings.waitMs);
      }, { secret: true });
      const run = await c.dial(server, { secret: true });
      return judge('failed without trying again', failed(run), connections(server, 1), requests(server, 0));
    },
  },
  retriedRefusal('dialer.busy', 'Busy is worth another try: refused once with Busy, the dialer tries again (after a back-off) and succeeds.', async (conn) => {
    if (await conn.readHello()) await conn.reply(ReplyStatus.Busy, 'too many connections');
  }),
  retriedRefusal('dialer.busy-before-hello', 'A server MAY send Busy before the hello arrives: the dialer reads it whenever it comes, and tries again.', async (conn) => {
    await conn.reply(ReplyStatus.Busy, 'too many connections');
  }, { section: '§2' }),
  retriedRefusal('dialer.closed-before-reply', 'A connection closed before any reply (a server past its limits may drop it, §9): the dialer treats it like Busy and tries again.', async (conn) => {
    await conn.readHello();
  }, { section: '§9' }),
  retriedRefusal('dialer.shutting-down', 'ShuttingDown is worth another try: the dialer tries again and succeeds.', async (conn) => {
    if (await conn.readHello()) await conn.reply(ReplyStatus.ShuttingDown, 'shutting down');
  }),
  retriedRefusal(
    'dialer.busy-after-auth',
    'Busy in place of the final Accepted, after a right auth answer: the dialer treats it as Busy and tries again.',
    async (conn) => {
      if (await throughChallenge(conn)) await conn.reply(ReplyStatus.Busy, 'too many raft streams waiting');
    },
    { secret: true, section: '§2' },
  ),
  {
    name: 'dialer.challenge-without-secret',
    section: '§4',
    requirement: Must,
    description: 'A dialer without a secret that is challenged sends no auth answer, fails (an authentication error) and does not try again.',
    async run(c) {
      const server = await c.listen(async (conn) => {
        if (!(await conn.readHello())) return;
        await conn.reply(ReplyStatus.Challenge, newNonce());
        await conn.closedWithin(c.settings.waitMs);
      });
      const run = await c.dial(server);
      const sent = server.connections[0]?.authAnswer;
      return judge('refused to go on', sent ? 'it sent an auth answer' : undefined, failed(run), connections(server, 1));
    },
  },
  {
    name: 'dialer.auth-answer',
    section: '§4',
    requirement: Must,
    description: 'The auth answer is 64 bytes: Nc, then proof_c = HMAC-SHA256(K, "raft-membership v1 client" ‖ hello ‖ Ns ‖ Nc); then the call goes on.',
    needs: NEEDS_SECRET,
    async run(c) {
      const blocked = c.needsSecret();
      if (blocked) return blocked;
      const server = await c.listen(answerOk(), { secret: true });
      const run = await c.dial(server, { secret: true });
      const log = server.connections[0];
      if (!log?.authAnswer || !log.hello || !log.serverNonce) return fail('no auth answer came');
      const clientNonce = log.authAnswer.subarray(0, 32);
      const proof = computeProof('client', c.settings.secret!.bytes, log.hello, log.serverNonce, clientNonce);
      if (!proof.equals(log.authAnswer.subarray(32))) return fail(`proof_c is ${hex(log.authAnswer.subarray(32), 8)}, not ${hex(proof, 8)}`);
      return judge('a right proof_c, then the request', succeeded(run), requests(server, 1));
    },
  },
  {
    name: 'dialer.auth-answer-waits',
    section: '§1',
    requirement: Must,
    description: 'A dialer sends nothing after its auth answer until it has read the second reply (the kit waits before sending Accepted), and then goes on.',
    needs: NEEDS_SECRET,
    run: async (c) => c.needsSecret() ?? quietBeforeAccepted(c, 'the reply to its auth answer', throughChallenge, true),
  },
  refusedServer('dialer.accepted-without-challenge', 'A dialer with a secret refuses a server that answers its hello with Accepted instead of a Challenge.', async (conn) => {
    if (await conn.readHello()) await conn.reply(ReplyStatus.Accepted);
  }),
  refusedServer('dialer.wrong-server-proof', 'A dialer with a secret refuses Accepted whose proof_s is wrong (32 other bytes).', async (conn) => {
    if (await throughChallenge(conn)) await conn.reply(ReplyStatus.Accepted, newNonce());
  }),
  refusedServer('dialer.reflected-proof', 'A dialer refuses Accepted whose detail is its own proof_c sent back (the labels stop a reflection).', async (conn) => {
    if (await throughChallenge(conn)) await conn.reply(ReplyStatus.Accepted, conn.log.authAnswer!.subarray(32));
  }),
  refusedServer('dialer.short-server-proof', 'A dialer refuses Accepted whose detail after the auth answer is not 32 bytes (31).', async (conn) => {
    const proof = await throughChallenge(conn);
    if (proof) await conn.reply(ReplyStatus.Accepted, proof.subarray(0, 31));
  }, '§3'),
  refusedServer('dialer.short-challenge', 'A dialer refuses a Challenge whose nonce is not 32 bytes (16), sending no answer.', async (conn) => {
    if (await conn.readHello()) await conn.reply(ReplyStatus.Challenge, newNonce().subarray(0, 16));
  }, '§3'),
  refusedServer('dialer.second-challenge', 'A dialer refuses a second Challenge after its auth answer.', async (conn) => {
    if (await throughChallenge(conn)) await conn.reply(ReplyStatus.Challenge, newNonce());
  }, '§3'),
  {
    name: 'dialer.reply-never-comes',
    section: '§5',
    requirement: Must,
    description: 'A server that reads the hello and never replies: the dialer bounds the preamble by its call\'s deadline and fails by then.',
    async run(c) {
      const server = await c.listen(async (conn) => {
        if (await conn.readHello()) await conn.hold(c.settings.timeoutMs + c.settings.graceMs + 1_000);
      });
      const run = await c.dial(server);
      return judge(`gave up within its deadline (${run.durationMs} ms)`, failed(run));
    },
  },
];
