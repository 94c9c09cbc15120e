import { Requirement, fail, pass, skip, type CaseDefinition, type Verdict } from '../case.js';
import * as mp from '../msgpack-writer.js';
import type { ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must, May } = Requirement;

/** A payload the target must take as a request and answer (rid 1 unless said). */
type Probe = (c: ServerContext) => Buffer;

/** The harmless request's payload with `extra` pairs after its own, the rid encoded as given. */
const harmlessWith = (c: ServerContext, extra: readonly (readonly [Buffer, Buffer])[], rid = mp.int(1)): Buffer =>
  mp.map([...c.harmlessPairs(rid).map(([k, v]) => [mp.str(k), v] as const), ...extra]);

const key = (name: string): Buffer => mp.str(name);

/**
 * Sends each payload on a connection of its own and judges each with
 * `judge`; passes when every one passes, naming those that did not.
 */
async function eachProbe(c: ServerContext, probes: Record<string, Buffer>, judge: 'answered' | 'closed', rid = 1): Promise<Verdict> {
  const failures: string[] = [];
  const passes: string[] = [];
  for (const [name, payload] of Object.entries(probes)) {
    const peer = await c.accepted();
    peer.send(mp.frame(payload));
    const verdict = judge === 'answered' ? await c.answered(peer, rid) : await c.closedSilently(peer);
    peer.destroy();
    if (verdict.kind === 'pass') passes.push(name);
    else failures.push(`${name}: ${verdict.observed}`);
  }
  return failures.length === 0 ? pass(`${judge === 'answered' ? 'answered' : 'closed without a response'}: ${passes.join(', ')}`) : fail(failures.join('; '));
}

/** One probe on a connection of its own. */
async function oneProbe(c: ServerContext, frame: Buffer, judge: 'answered' | 'closed', rid = 1): Promise<Verdict> {
  const peer = await c.accepted();
  peer.send(frame);
  return judge === 'answered' ? c.answered(peer, rid) : c.closedSilently(peer);
}

/** A case with one probe. */
function probeCase(name: string, requirement: Requirement, description: string, payload: Probe, judge: 'answered' | 'closed', rid = 1): ServerCase {
  return { name, section: '§6', requirement, description, run: (c) => oneProbe(c, mp.frame(payload(c)), judge, rid) };
}

/** `depth` arrays inside one another around a 0. */
const nested = (depth: number): Buffer => Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0x00])]);

/** §6: frames and the MessagePack rules for readers. */
export const frameCases: readonly ServerCase[] = [
  {
    name: 'frame.empty',
    section: '§6',
    requirement: Must,
    description: 'A frame declaring 0 bytes is invalid: the server closes the connection without a response.',
    run: (c) => oneProbe(c, Buffer.alloc(4), 'closed'),
  },
  {
    name: 'frame.oversized-header',
    section: '§6',
    requirement: Must,
    description: 'A header declaring one byte more than the maximum frame size is refused from the header alone: closed, no payload sent, no response.',
    async run(c) {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(c.options.maxFrameSize + 1, 0);
      return oneProbe(c, header, 'closed');
    },
  },
  {
    name: 'frame.largest',
    section: '§6',
    requirement: Must,
    description: 'A frame of exactly the maximum frame size (the harmless request padded with an unknown key) is read and answered.',
    async run(c) {
      const base = harmlessWith(c, [[key('pad'), mp.str('', 'str32')]]);
      const pad = c.options.maxFrameSize - base.length;
      if (pad < 0) return skip(`the maximum frame size ${c.options.maxFrameSize} is below the request itself`);
      const payload = harmlessWith(c, [[key('pad'), mp.str(Buffer.alloc(pad, 0x70), 'str32')]]);
      return oneProbe(c, mp.frame(payload), 'answered');
    },
  },
  {
    name: 'frame.byte-by-byte',
    section: '§6',
    requirement: Must,
    description: 'A request that arrives one byte per TCP segment is read whole and answered.',
    async run(c) {
      const peer = await c.accepted();
      await peer.trickle(c.harmless(1), 2);
      return c.answered(peer, 1);
    },
  },
  probeCase('frame.trailing-byte', Must, 'A payload with a byte after its one MessagePack value is invalid: closed without a response.', (c) =>
    Buffer.concat([harmlessWith(c, []), Buffer.from([0xc0])]), 'closed'),
  probeCase('frame.truncated-value', Must, 'A payload whose map declares more pairs than it holds is not one value: closed without a response.', (c) => {
    const whole = harmlessWith(c, []);
    return Buffer.concat([Buffer.from([whole[0]! + 1]), whole.subarray(1)]);
  }, 'closed'),
  {
    name: 'frame.extension-value',
    section: '§6',
    requirement: Must,
    description: 'An extension type as the value of an unknown key is invalid, in every form (fixext 1/2/4/8/16, ext 8, the timestamp): closed without a response.',
    run: (c) =>
      eachProbe(
        c,
        {
          fixext1: harmlessWith(c, [[key('x'), mp.ext(1, Buffer.alloc(1))]]),
          fixext2: harmlessWith(c, [[key('x'), mp.ext(2, Buffer.alloc(2))]]),
          fixext4: harmlessWith(c, [[key('x'), mp.ext(0x42, Buffer.alloc(4))]]),
          fixext8: harmlessWith(c, [[key('x'), mp.ext(0, Buffer.alloc(8))]]),
          fixext16: harmlessWith(c, [[key('x'), mp.ext(0x74, Buffer.alloc(16))]]),
          ext8: harmlessWith(c, [[key('x'), mp.ext(5, Buffer.alloc(3))]]),
          timestamp: harmlessWith(c, [[key('x'), mp.ext(-1, Buffer.alloc(4))]]),
        },
        'closed',
      ),
  },
  probeCase('frame.extension-key', Must, 'An extension type used as a map key is invalid too: closed without a response.', (c) =>
    harmlessWith(c, [[mp.ext(1, Buffer.alloc(1)), mp.int(1)]]), 'closed'),
  probeCase('frame.c1-value', Must, 'The byte 0xc1 where a value starts is invalid: closed without a response.', (c) =>
    harmlessWith(c, [[key('x'), Buffer.from([0xc1])]]), 'closed'),
  {
    name: 'frame.c1-in-data',
    section: '§6',
    requirement: Must,
    description: 'The byte 0xc1 inside a value\'s data is just data: a uint8 193 (`cc c1`) and a bin holding 0xc1 are accepted.',
    run: (c) =>
      eachProbe(c, { 'uint8 193': harmlessWith(c, [[key('x'), Buffer.from([0xcc, 0xc1])]]), 'bin c1': harmlessWith(c, [[key('x'), mp.bin(Buffer.from([0xc1, 0xc1]))]]) }, 'answered'),
  },
  probeCase('frame.depth-32', Must, 'Maps and arrays 32 deep (the request map and 31 arrays inside an unknown key) are accepted.', (c) =>
    harmlessWith(c, [[key('deep'), nested(31)]]), 'answered'),
  {
    name: 'frame.depth-33',
    section: '§6',
    requirement: May,
    description: 'Maps and arrays 33 deep: a reader MAY refuse them (closing) or read them.',
    async run(c) {
      const verdict = await oneProbe(c, mp.frame(harmlessWith(c, [[key('deep'), nested(32)]])), 'answered');
      return pass(verdict.kind === 'pass' ? `read: ${verdict.observed}` : `refused: ${verdict.observed}`);
    },
  },
  {
    name: 'frame.floats',
    section: '§6',
    requirement: Must,
    description: 'Readers decode float32 and float64, to skip unknown keys holding them: both are accepted.',
    run: (c) =>
      eachProbe(c, { float32: harmlessWith(c, [[key('x'), mp.float(1.5, true)]]), float64: harmlessWith(c, [[key('x'), mp.float(-0.25)]]) }, 'answered'),
  },
  {
    name: 'frame.rid-whole-float',
    section: '§6',
    requirement: May,
    description: 'A rid of 1.0 (float64): a reader MAY read it as the integer 1, or refuse it as a rid that is not an integer.',
    async run(c) {
      const verdict = await oneProbe(c, mp.frame(mp.fields([...c.harmlessPairs(mp.float(1))])), 'answered');
      return pass(verdict.kind === 'pass' ? `read as 1: ${verdict.observed}` : `refused: ${verdict.observed}`);
    },
  },
  {
    name: 'frame.invalid-utf8',
    section: '§6',
    requirement: May,
    description: 'A str that is not valid UTF-8 under an unknown key: a reader MAY refuse it or decode it its own way.',
    async run(c) {
      const verdict = await oneProbe(c, mp.frame(harmlessWith(c, [[key('x'), mp.str(Buffer.from([0x70, 0xff]))]])), 'answered');
      return pass(verdict.kind === 'pass' ? `read: ${verdict.observed}` : `refused: ${verdict.observed}`);
    },
  },
  {
    name: 'frame.repeated-key',
    section: '§6',
    requirement: Must,
    description: 'A key repeated in one map: the last one counts (rid 1 then rid 2 is answered with rid 2).',
    run: (c) => oneProbe(c, mp.frame(harmlessWith(c, [[key('rid'), mp.int(2)]])), 'answered', 2),
  },
  {
    name: 'frame.repeated-type',
    section: '§6',
    requirement: Must,
    description: 'A repeated `type`: the last one counts (leave, then "rftm-unknown") and the request is answered bad_request.',
    async run(c) {
      const peer = await c.accepted();
      peer.send(mp.frame(harmlessWith(c, [[key('type'), mp.str('rftm-unknown')]])));
      return c.refusedWith(peer, 1, 'bad_request');
    },
  },
  {
    name: 'frame.non-string-keys',
    section: '§6',
    requirement: Must,
    description: 'A pair whose key is not a string is ignored like an unknown key, whatever the key: integer, nil, boolean, float, bin, array, map.',
    run: (c) =>
      eachProbe(
        c,
        {
          integer: harmlessWith(c, [[mp.int(1), mp.str('x')]]),
          nil: harmlessWith(c, [[mp.nil(), mp.int(1)]]),
          boolean: harmlessWith(c, [[mp.bool(true), mp.int(1)]]),
          float: harmlessWith(c, [[mp.float(2.5), mp.int(1)]]),
          bin: harmlessWith(c, [[mp.bin(Buffer.from('rid')), mp.int(99)]]),
          array: harmlessWith(c, [[mp.array([mp.int(1)]), mp.int(1)]]),
          map: harmlessWith(c, [[mp.map([[mp.str('a'), mp.int(1)]]), mp.int(1)]]),
        },
        'answered',
      ),
  },
  {
    name: 'frame.map-forms',
    section: '§6',
    requirement: Must,
    description: 'The request map may be written in any map form: map16 and map32 for three pairs are accepted.',
    run: (c) =>
      eachProbe(c, { map16: mp.fields(c.harmlessPairs(mp.int(1)), '16'), map32: mp.fields(c.harmlessPairs(mp.int(1)), '32') }, 'answered'),
  },
  {
    name: 'frame.str-forms',
    section: '§6',
    requirement: Must,
    description: 'Keys and strings may be written in any str form: str8, str16 and str32 for short text are accepted.',
    run: (c) =>
      eachProbe(
        c,
        Object.fromEntries(
          (['str8', 'str16', 'str32'] as const).map((form) => [
            form,
            mp.map([
              [mp.str('type', form), mp.str('leave', form)],
              [mp.str('rid', form), mp.int(1)],
              [mp.str('id', form), mp.str(c.id('absent'), form)],
            ]),
          ]),
        ),
        'answered',
      ),
  },
  {
    name: 'frame.int-forms',
    section: '§6',
    requirement: Must,
    description: 'An integer may be written in any integer form: rid 5 as positive fixint, uint 8/16/32/64 and int 8/16/32/64 is accepted each time.',
    run: (c) =>
      eachProbe(
        c,
        Object.fromEntries((['fixint', 'u8', 'u16', 'u32', 'u64', 'i8', 'i16', 'i32', 'i64'] as const).map((form) => [form, mp.fields(c.harmlessPairs(mp.int(5, form)))])),
        'answered',
        5,
      ),
  },
  {
    name: 'frame.rid-extremes',
    section: '§7',
    requirement: Must,
    description: 'The rids 0 and 4294967295 (as uint32, uint64 and int64) are accepted and echoed.',
    async run(c) {
      const zero = await oneProbe(c, c.harmless(0), 'answered', 0);
      if (zero.kind !== 'pass') return fail(`rid 0: ${zero.observed}`);
      return eachProbe(
        c,
        Object.fromEntries((['u32', 'u64', 'i64'] as const).map((form) => [form, mp.fields(c.harmlessPairs(mp.int(0xffff_ffff, form)))])),
        'answered',
        0xffff_ffff,
      );
    },
  },
  {
    name: 'frame.invalid-rid',
    section: '§9',
    requirement: Must,
    description: 'A rid that cannot be read closes the connection without a response: 2^32, -1, 1.5, a string, nil, missing.',
    run: (c) =>
      eachProbe(
        c,
        {
          '2^32': mp.fields(c.harmlessPairs(mp.int(2 ** 32))),
          '-1': mp.fields(c.harmlessPairs(mp.int(-1))),
          '1.5': mp.fields(c.harmlessPairs(mp.float(1.5))),
          string: mp.fields(c.harmlessPairs(mp.str('1'))),
          nil: mp.fields(c.harmlessPairs(mp.nil())),
          missing: mp.fields(c.harmlessPairs(mp.int(1)).filter(([k]) => k !== 'rid')),
        },
        'closed',
      ),
  },
  {
    name: 'frame.not-a-map',
    section: '§9',
    requirement: Must,
    description: 'A payload that is not a map (an array, a string, nil) closes the connection without a response.',
    run: (c) => eachProbe(c, { array: mp.array([mp.int(1)]), string: mp.str('leave'), nil: mp.nil() }, 'closed'),
  },
];
