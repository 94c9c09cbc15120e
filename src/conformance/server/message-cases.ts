import { Requirement, fail, pass, skip, type CaseDefinition, type Verdict } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { describeResponse } from '../response-check.js';
import type { ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must } = Requirement;

/** A leave of `id` (any encoding) as rid 1. */
const leave = (id: Buffer, extra: readonly (readonly [string, Buffer])[] = []): Buffer =>
  mp.fields([['type', mp.str('leave')], ['rid', mp.int(1)], ['id', id], ...extra]);

/** Each payload on its own connection must be answered `code` (or, with `code` undefined, answered and not refused). */
async function eachAnswered(c: ServerContext, probes: Record<string, Buffer>, code?: string): Promise<Verdict> {
  const failures: string[] = [];
  for (const [name, payload] of Object.entries(probes)) {
    const peer = await c.accepted();
    peer.send(mp.frame(payload));
    const verdict = code === undefined ? await c.answered(peer, 1) : await c.refusedWith(peer, 1, code);
    peer.destroy();
    if (verdict.kind !== 'pass') failures.push(`${name}: ${verdict.observed}`);
  }
  const names = Object.keys(probes).join(', ');
  return failures.length === 0 ? pass(code === undefined ? `answered: ${names}` : `${code}: ${names}`) : fail(failures.join('; '));
}

/** Each join, at an address of its own, must be answered `bad_request`; one accepted by mistake is undone at the end. */
async function joinsRefused(c: ServerContext, probes: Record<string, { address?: string | Buffer; extra?: [string, Buffer][] }>): Promise<Verdict> {
  const failures: string[] = [];
  let n = 0;
  for (const [name, probe] of Object.entries(probes)) {
    const peer = await c.accepted();
    const got = await c.join(peer, 1, c.id(`bad-${++n}`), probe.address ?? c.changes.address(), probe.extra);
    peer.destroy();
    if (!got.ok) failures.push(`${name}: ${got.observed}`);
    else if (got.response.problems.length > 0) failures.push(`${name}: ${got.response.problems.join('; ')}`);
    else if (got.response.code !== 'bad_request') failures.push(`${name}: ${describeResponse(got.response)}`);
  }
  return failures.length === 0 ? pass(`bad_request: ${Object.keys(probes).join(', ')}`) : fail(failures.join('; '));
}

const label = (n: number, ch = 'a'): string => ch.repeat(n);

/** A host name of exactly `n` characters: labels of 63 joined by dots. */
function hostOf(n: number): string {
  const labels: string[] = [];
  let left = n;
  while (left > 0) {
    const size = Math.min(63, left === 64 ? 62 : left);
    labels.push(label(size, 'h'));
    left -= size + 1;
  }
  return labels.join('.').slice(0, n);
}

/** §7: the request messages a server reads. */
export const messageCases: readonly ServerCase[] = [
  {
    name: 'message.unknown-type',
    section: '§7',
    requirement: Must,
    description: 'A map with a rid and a `type` that is no request ("rftm-unknown", 7, missing) is answered bad_request with that rid.',
    run: (c) =>
      eachAnswered(
        c,
        {
          unknown: mp.fields([['type', mp.str('rftm-unknown')], ['rid', mp.int(1)]]),
          number: mp.fields([['type', mp.int(7)], ['rid', mp.int(1)]]),
          missing: mp.fields([['rid', mp.int(1)], ['id', mp.str('x')]]),
        },
        'bad_request',
      ),
  },
  {
    name: 'message.id-invalid',
    section: '§7',
    requirement: Must,
    description: 'An id that is empty, longer than 256 bytes of UTF-8, a bin, an integer or missing is answered bad_request.',
    run: (c) =>
      eachAnswered(
        c,
        {
          empty: leave(mp.str('')),
          '257 bytes': leave(mp.str(`${'é'.repeat(128)}x`)),
          bin: leave(mp.bin(Buffer.from(c.id('absent')))),
          integer: leave(mp.int(7)),
          missing: mp.fields([['type', mp.str('leave')], ['rid', mp.int(1)]]),
        },
        'bad_request',
      ),
  },
  {
    name: 'message.id-valid',
    section: '§7',
    requirement: Must,
    description: 'Ids of exactly 256 bytes (128 × é) and ids holding a newline and a NUL are valid: a leave of them is answered, not refused.',
    run: (c) =>
      eachAnswered(c, {
        '256 bytes': leave(mp.str('é'.repeat(128))),
        'control characters': leave(mp.str(`${c.id('absent')}\n\u0000`)),
      }),
  },
  {
    name: 'message.unknown-keys',
    section: '§7',
    requirement: Must,
    description: 'Keys a reader does not know are ignored, whatever they hold (a map, an array, nil, a bin, a float, a string).',
    run: (c) =>
      eachAnswered(c, {
        all: leave(mp.str(c.id('absent')), [
          ['zone', mp.str('eu-1')],
          ['future', mp.map([[mp.str('a'), mp.array([mp.int(1), mp.nil()])]])],
          ['nothing', mp.nil()],
          ['blob', mp.bin(Buffer.from([1, 2, 3]))],
          ['weight', mp.float(0.5)],
          ['flag', mp.bool(false)],
        ]),
      }),
  },
  {
    name: 'message.role-invalid',
    section: '§7',
    requirement: Must,
    description: 'A join whose role is not "voter" or "nonvoter" ("Voter", "observer", 1) is answered bad_request and changes nothing.',
    run: (c) =>
      joinsRefused(c, {
        Voter: { extra: [['role', mp.str('Voter')]] },
        observer: { extra: [['role', mp.str('observer')]] },
        number: { extra: [['role', mp.int(1)]] },
      }),
  },
  {
    name: 'message.address-invalid',
    section: '§7',
    requirement: Must,
    description: 'A join whose address breaks §7\'s grammar is answered bad_request: no port, port 0, 65536 or 07000, octet 256, a leading zero, an all-numeric host, unbracketed IPv6, a label starting or ending with -, a 64-character label, a 254-character host, a 65-character IPv6 zone, an empty host, a bin.',
    run: (c) =>
      joinsRefused(c, {
        'no port': { address: '10.0.0.9' },
        'port 0': { address: '10.0.0.9:0' },
        'port 65536': { address: '10.0.0.9:65536' },
        'port 07000': { address: '10.0.0.9:07000' },
        'octet 256': { address: '10.0.0.256:7000' },
        'leading zero': { address: '010.0.0.9:7000' },
        'all numeric': { address: '123:7000' },
        'unbracketed IPv6': { address: 'fd00::9:7000' },
        'leading hyphen': { address: '-a.example:7000' },
        'trailing hyphen': { address: 'a-.example:7000' },
        '64-character label': { address: `${label(64)}.example:7000` },
        '254-character host': { address: `${hostOf(254)}:7000` },
        '65-character zone': { address: `[fe80::9%${'z'.repeat(65)}]:7000` },
        'empty host': { address: ':7000' },
        bin: { address: mp.bin(Buffer.from('10.0.0.9:7000')) },
      }),
  },
  {
    name: 'message.bad-request-size',
    section: '§7',
    requirement: Must,
    description: 'The bad_request for a huge invalid address (20,000 bytes; 3,000 × é; as large as a frame allows) has a message of at most 512 bytes and a response of at most 65536.',
    async run(c) {
      const fill = c.options.maxFrameSize - 200;
      return joinsRefused(c, {
        '20,000 bytes': { address: 'a'.repeat(20_000) },
        '3,000 × é': { address: 'é'.repeat(3_000) },
        [`${fill} bytes`]: { address: `${'b'.repeat(fill)}:0` },
      });
    },
  },
  {
    name: 'message.quotes-short',
    section: '§7',
    requirement: Requirement.Should,
    description: 'A server should not copy a long request value into a message: the bad_request for a 1,000-byte invalid address quotes fewer than 100 bytes of it.',
    async run(c) {
      const peer = await c.accepted();
      const got = await c.join(peer, 1, c.id('bad-quote'), 'q'.repeat(1_000));
      if (!got.ok) return fail(got.observed);
      const { code, message = '' } = got.response;
      if (code !== 'bad_request') return fail(`answered ${describeResponse(got.response)}`);
      const quoted = Math.max(0, ...(message.match(/q+/g) ?? []).map((run) => run.length));
      return quoted < 100 ? pass(`quotes ${quoted} bytes of it: ${JSON.stringify(message.slice(0, 120))}`) : fail(`quotes ${quoted} bytes of the address`);
    },
  },
  {
    name: 'message.address-valid',
    section: '§7',
    requirement: Must,
    description: 'A join at an address of every form §7 allows is not refused as bad_request (what the cluster then answers is its own business): an IPv6 zone of 64 characters, IPv4-mapped IPv6, a host with _ and a final dot, a 63-character label, a 253-character host (plus a final dot), capitals.',
    needs: 'membership changes (not --no-changes)',
    async run(c) {
      const blocked = c.needsChanges();
      if (blocked) return blocked;
      const port = (): string => c.changes.address().slice(c.changes.address().lastIndexOf(':') + 1);
      const probes: Record<string, string> = {
        'IPv6 zone': `[fe80::1%eth0]:${port()}`,
        '64-character zone': `[fe80::1%${'z'.repeat(64)}]:${port()}`,
        'IPv4-mapped': `[::ffff:192.0.2.7]:${port()}`,
        'underscore, final dot': `rftm_conformance.invalid.:${port()}`,
        '63-character label': `${label(63)}.invalid:${port()}`,
        '253 characters': `${hostOf(253)}:${port()}`,
        '253 characters and a dot': `${hostOf(253)}.:${port()}`,
        capitals: `RFTM-Conformance.INVALID:${port()}`,
      };
      const failures: string[] = [];
      let n = 0;
      for (const [name, address] of Object.entries(probes)) {
        const peer = await c.accepted();
        const got = await c.join(peer, 1, c.id(`addr-${++n}`), address);
        peer.destroy();
        if (!got.ok) failures.push(`${name}: ${got.observed}`);
        else if (got.response.problems.length > 0 || got.response.code === 'bad_request') failures.push(`${name}: ${describeResponse(got.response)}`);
      }
      return failures.length === 0 ? pass(`not refused as bad_request: ${Object.keys(probes).join(', ')}`) : fail(failures.join('; '));
    },
  },
  {
    name: 'message.role-nil',
    section: '§7',
    requirement: Must,
    description: 'A key whose value is nil reads as absent: a join with `role: nil` is a join as a voter.',
    needs: 'membership changes as a voter (--join-role voter)',
    async run(c) {
      const blocked = c.needsChanges();
      if (blocked) return blocked;
      if (c.options.joinRole !== 'voter') return skip('would join a voter: run with --join-role voter');
      const peer = await c.accepted();
      const got = await c.join(peer, 1, c.id('role-nil'), c.changes.address(), [['role', mp.nil()]]);
      if (!got.ok) return fail(got.observed);
      return got.response.ok === true && got.response.problems.length === 0 ? pass(describeResponse(got.response)) : fail(describeResponse(got.response));
    },
  },
];
