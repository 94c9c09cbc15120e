import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Outcome, Requirement, type ConformanceReport } from '../../src/index.js';
import { fail, pass, skip, type CaseDefinition } from '../../src/conformance/case.js';
import { field, readValue, writerViolations } from '../../src/conformance/msgpack-reader.js';
import * as mp from '../../src/conformance/msgpack-writer.js';
import { formatJUnit, formatTable } from '../../src/conformance/report.js';
import { runCases } from '../../src/conformance/run-cases.js';
import { decodePayload } from '../../src/protocol/index.js';
import { fcParams } from '../support/fc.js';

describe('the kit\'s MessagePack writer', () => {
  it.each([
    ['fixint', mp.int(5), '05'],
    ['uint8', mp.int(5, 'u8'), 'cc05'],
    ['uint64', mp.int(5, 'u64'), 'cf0000000000000005'],
    ['int8 -1', mp.int(-1, 'i8'), 'd0ff'],
    ['int64 -1', mp.int(-1, 'i64'), 'd3ffffffffffffffff'],
    ['negative fixint', mp.int(-32), 'e0'],
    ['str8', mp.str('ab', 'str8'), 'd9026162'],
    ['str32', mp.str('a', 'str32'), 'db0000000161'],
    ['map16', mp.map([[mp.str('a'), mp.nil()]], '16'), 'de0001a161c0'],
    ['fixext1', mp.ext(1, Buffer.from([9])), 'd40109'],
    ['ext8', mp.ext(5, Buffer.from([1, 2, 3])), 'c7030501' + '0203'],
    ['float32', mp.float(1.5, true), 'ca3fc00000'],
  ])('writes %s exactly as asked', (_name, bytes, hex) => {
    expect(bytes.toString('hex')).toBe(hex);
  });

  it('refuses a value that does not fit the form asked for', () => {
    expect(() => mp.int(256, 'u8')).toThrow(RangeError);
    expect(() => mp.int(-1, 'u32')).toThrow(RangeError);
    expect(() => mp.str('x'.repeat(32), 'fixstr')).toThrow(RangeError);
  });

  it('writes any plain value so that the library decodes it back (property)', () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 })),
    })).value;
    fc.assert(
      fc.property(plain, (v) => {
        expect(decodePayload(mp.value(v))).toEqual(v);
      }),
      fcParams(),
    );
  });
});

describe('the kit\'s MessagePack reader', () => {
  it('keeps forms, repeats and non-string keys, and refuses what is not one value', () => {
    const read = readValue(mp.map([[mp.str('rid'), mp.int(1, 'u64')], [mp.int(7), mp.nil()], [mp.str('rid'), mp.int(2)]], '16'));
    if (!('node' in read)) throw new Error(read.error);
    expect(field(read.node, 'rid')).toEqual({ kind: 'int', value: 2n, type: 0x02 });
    expect(writerViolations(read.node)).toEqual(['a map key that is not a string (int)', 'the key "rid" twice in one map']);
    expect(readValue(Buffer.from([0xc1]))).toEqual({ error: expect.stringMatching(/0xc1/) });
    expect(readValue(Buffer.from([0xc0, 0xc0]))).toEqual({ error: '1 bytes after the one value' });
    expect(readValue(Buffer.from([0x82, 0xa1]))).toEqual({ error: 'the value is cut short' });
  });

  it('reads strings byte for byte: a leading byte-order mark stays, so "\\uFEFFrid" is not "rid"', () => {
    const read = readValue(mp.map([[mp.str('rid'), mp.int(1)], [mp.str('\uFEFFrid'), mp.int(2)]]));
    if (!('node' in read)) throw new Error(read.error);
    expect(field(read.node, 'rid')).toMatchObject({ kind: 'int', value: 1n });
    expect(writerViolations(read.node)).toEqual([]);
    // As the library reads it.
    expect(decodePayload(mp.map([[mp.str('rid'), mp.int(1)], [mp.str('\uFEFFrid'), mp.int(2)]]))).toEqual({ rid: 1, '\uFEFFrid': 2 });
  });

  it('finds every rule a writer breaks: ext, invalid UTF-8, nesting past 32', () => {
    const deep = Buffer.concat([Buffer.alloc(33, 0x91), Buffer.from([0])]);
    const read = readValue(mp.fields([['x', mp.ext(1, Buffer.alloc(1))], ['y', mp.str(Buffer.from([0xff]))], ['z', deep]]));
    if (!('node' in read)) throw new Error(read.error);
    expect(writerViolations(read.node)).toEqual(['an extension type (1)', 'a str that is not valid UTF-8', 'maps and arrays nested more than 32 deep']);
  });
});

describe('running cases', () => {
  const definition = (name: string, requirement: Requirement, run: CaseDefinition<null>['run']): CaseDefinition<null> => ({ name, section: '§6', requirement, description: 'a case of the test', run });

  it('grades each verdict by the rule\'s level, and a case that throws or hangs fails without ending the run', async () => {
    let released = 0;
    const results = await runCases(
      [
        definition('a.must-pass', Requirement.Must, async () => pass('fine')),
        definition('a.must-fail', Requirement.Must, async () => fail('broken')),
        definition('a.should-fail', Requirement.Should, async () => fail('meh')),
        definition('a.may', Requirement.May, async () => fail('either way')),
        definition('a.skip', Requirement.Must, async () => skip('needs --x')),
        definition('a.throws', Requirement.Must, async () => {
          throw new Error('boom');
        }),
        definition('a.hangs', Requirement.Must, () => new Promise(() => undefined)),
      ],
      { caseTimeoutMs: 200, concurrency: 3, context: async () => ({ context: null, release: async () => void released++ }) },
    );
    expect(results.map((r) => [r.name, r.outcome])).toEqual([
      ['a.must-pass', Outcome.Ok],
      ['a.must-fail', Outcome.Failed],
      ['a.should-fail', Outcome.NonStrict],
      ['a.may', Outcome.Informational],
      ['a.skip', Outcome.Skipped],
      ['a.throws', Outcome.Failed],
      ['a.hangs', Outcome.Failed],
    ]);
    expect(results[5]!.observed).toMatch(/boom/);
    expect(results[6]!.observed).toMatch(/no verdict within 200 ms/);
    expect(released).toBe(7);
  });
});

describe('reports', () => {
  const report: ConformanceReport = {
    side: 'server',
    subject: '127.0.0.1:7000',
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 1234,
    results: [
      { name: 'hello.x', section: '§2', row: '6', requirement: 'MUST', description: 'd <&>', outcome: 'FAILED', observed: 'replied "a" <b> & \u0001c', durationMs: 5 },
      { name: 'frame.y', section: '§6', requirement: 'SHOULD', description: 'd', outcome: 'NON-STRICT', observed: 'meh', durationMs: 1 },
      { name: 'errors.z', section: '§8', requirement: 'MUST', description: 'd', outcome: 'SKIPPED', observed: 'needs x', durationMs: 0 },
    ],
    summary: { total: 3, ok: 0, nonStrict: 1, informational: 0, failed: 1, skipped: 1 },
    passed: false,
    notes: ['a note'],
  };

  it('is a table for people', () => {
    const table = formatTable(report);
    expect(table).toMatch(/^FAILED {6}hello\.x {3}§2 row 6 {2}MUST {4}replied "a" <b> & /m);
    expect(table).toContain('3 cases: 0 OK, 1 NON-STRICT, 0 INFORMATIONAL, 1 FAILED, 1 SKIPPED (1.2 s)');
    expect(table).toMatch(/note: a note\nFAILED: 1 MUST rule is broken$/);
  });

  it('is JUnit XML with FAILED as a failure and SKIPPED as skipped, text escaped', () => {
    const xml = formatJUnit(report);
    expect(xml).toContain('<testsuites name="raft-membership conformance" tests="3" failures="1" skipped="1" time="1.234">');
    expect(xml).toContain('<testcase classname="server.hello" name="hello.x (§2 row 6, MUST)" time="0.005"><failure message="replied &quot;a&quot; &lt;b&gt; &amp; c">d &lt;&amp;&gt;</failure></testcase>');
    expect(xml).toContain('<skipped message="needs x"/>');
    expect(xml).toContain('<property name="outcome" value="NON-STRICT"/>');
    expect(xml).not.toMatch(/[\u0001]/);
  });
});
