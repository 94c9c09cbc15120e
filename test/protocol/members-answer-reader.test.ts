import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConfigurationServer } from '../../src/index.js';
import { MembersAnswerReader } from '../../src/protocol/members-answer-reader.js';
import { EncodedConfiguration } from '../../src/protocol/members-page.js';
import { MAX_REQUEST_ID, decodeResponse, encodeResponse, type ResponseMessage } from '../../src/protocol/messages.js';
import { fcParams } from '../support/fc.js';
import { write, type Node } from './support/msgpack-oracle.js';

// The reader of `members` answers against decodeResponse, which it stands
// in for: the same answer from every payload it reads, and `undefined`
// (decodeResponse then reads it) for every other.

function servers(n: number, seed = 0): ConfigurationServer[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i % 7 === 0 ? `sérveur-${i}-${seed}` : `n${i}`,
    address: i % 5 === 0 ? `host-${i}.example.org:${7000 + seed}` : i % 11 === 0 ? `[fe80::${i.toString(16)}]:7000` : `10.0.${i >> 8}.${i & 255}:${7000 + seed}`,
    role: i % 3 === 0 ? 'nonvoter' : 'voter',
  }));
}

const payloadOf = (frame: Buffer): Buffer => frame.subarray(4);

/** What decodeResponse makes of `payload` as a members answer: its answer, or that it refused it. */
function decoded(payload: Buffer): ResponseMessage | 'refused' {
  try {
    return decodeResponse(payload, 'members');
  } catch {
    return 'refused';
  }
}

describe('the reader of members answers', () => {
  it('reads every page a server writes as decodeResponse does', () => {
    const reader = new MembersAnswerReader();
    for (const [size, index] of [
      [0, undefined],
      [1, 0],
      [15, 7],
      [16, 2 ** 32 + 5],
      [1_000, 42],
      [3_000, Number.MAX_SAFE_INTEGER],
    ] as const) {
      const encoded = new EncodedConfiguration(servers(size), index);
      for (const rid of [0, 127, 128, 65_536, MAX_REQUEST_ID]) {
        for (let offset: number | undefined = 0; offset !== undefined; ) {
          const page = payloadOf(Buffer.concat(encoded.page(rid, offset).parts));
          const answer = reader.read(page);
          expect(answer).toEqual(decodeResponse(page, 'members'));
          offset = answer!.next;
        }
      }
    }
  });

  it('hands back the same frozen server objects for the same bytes, and new ones only for what changed', () => {
    const reader = new MembersAnswerReader();
    const list = servers(50);
    const first = reader.read(payloadOf(encodeResponse({ rid: 1, ok: true, index: 3, members: list })))!;
    const again = reader.read(payloadOf(encodeResponse({ rid: 2, ok: true, index: 3, members: list })))!;
    expect(again.members).not.toBe(first.members);
    expect(again.members.every((server, i) => server === first.members[i])).toBe(true);
    expect(Object.isFrozen(again.members[0])).toBe(true);
    const changed = list.map((server, i) => (i === 20 ? { ...server, role: 'voter' as const, address: '10.9.9.9:1' } : server));
    const third = reader.read(payloadOf(encodeResponse({ rid: 3, ok: true, index: 4, members: changed })))!;
    expect(third.members).toEqual(changed);
    expect(third.members.filter((server, i) => server !== first.members[i]).map((server) => server.address)).toEqual(['10.9.9.9:1']);
    // The page's new version replaced the old: going back, server 20 is read again, the others are shared still.
    const back = reader.read(payloadOf(encodeResponse({ rid: 4, ok: true, index: 3, members: list })))!;
    expect(back.members).toEqual(list);
    expect(back.members.filter((server, i) => server !== first.members[i]).map((server) => server.id)).toEqual(['n20']);
  });

  it('leaves to decodeResponse whatever is not a plain members answer', () => {
    const reader = new MembersAnswerReader();
    const good = { rid: 9, ok: true as const, members: servers(3) };
    const cases: Buffer[] = [
      payloadOf(encodeResponse({ rid: 9, ok: false, code: 'different_leader', message: 'no', leader: '10.0.0.1:7000' })),
      payloadOf(encodeResponse({ rid: 9, ok: true, index: 2 })),
      Buffer.from(write(map([['rid', int(9)], ['ok', { kind: 'true' }], ['members', { kind: 'array', items: [], form: 0 }], ['extra', int(1)]]))),
      Buffer.from(write(map([['rid', int(9)], ['rid', int(9)], ['ok', { kind: 'true' }], ['members', { kind: 'array', items: [], form: 0 }]]))),
      Buffer.from(write(map([['rid', int(9)], ['ok', { kind: 'true' }], ['index', { kind: 'float64', value: 3 }], ['members', { kind: 'array', items: [], form: 0 }]]))),
      Buffer.from(write(map([['rid', int(9)], ['ok', { kind: 'true' }], ['members', { kind: 'array', items: [entry([['id', str('')], ['address', str('10.0.0.1:1')]])], form: 0 }]]))),
      Buffer.from(write(map([['rid', int(9)], ['ok', { kind: 'true' }], ['members', { kind: 'array', items: [entry([['id', str('a')], ['address', str('nope')]])], form: 0 }]]))),
      Buffer.from(write(map([['rid', int(9)], ['ok', { kind: 'true' }], ['members', { kind: 'array', items: [entry([['id', str('a')], ['address', str('10.0.0.1:1')], ['role', str('leader')]])], form: 0 }]]))),
      Buffer.concat([payloadOf(encodeResponse(good)), Buffer.from([0xc0])]),
      payloadOf(encodeResponse(good)).subarray(0, 20),
    ];
    for (const payload of cases) expect(reader.read(payload)).toBeUndefined();
    // What it reads, with its keys in any order and in longer forms, is what decodeResponse reads.
    const reordered = Buffer.from(
      write(
        map([
          ['next', int(7, 2)],
          ['members', { kind: 'array', items: [entry([['role', { kind: 'nil' }], ['address', str('10.0.0.1:1', 1)], ['id', str('a', 2)]])], form: 2 }],
          ['ok', { kind: 'true' }],
          ['index', { kind: 'int64', value: 5n, unsigned: true }],
          ['rid', int(9, 3)],
        ]),
      ),
    );
    expect(reader.read(reordered)).toEqual(decodeResponse(reordered, 'members'));
    expect(reader.read(reordered)).toEqual({ rid: 9, ok: true, index: 5, members: [{ id: 'a', address: '10.0.0.1:1', role: 'voter' }], next: 7 });
  });

  it('reads every well-formed answer, keys in any order and values in any form, as decodeResponse does (property)', () => {
    // One reader for every run, so that pages meet servers it has read before.
    const reader = new MembersAnswerReader();
    fc.assert(
      fc.property(answerNode(false), (node) => {
        const payload = Buffer.from(write(node));
        const answer = reader.read(payload);
        expect(answer).toBeDefined();
        expect(answer).toEqual(decodeResponse(payload, 'members'));
      }),
      fcParams({ numRuns: 1_000 }),
    );
  });

  it('reads any other answer as decodeResponse does, or leaves it to it (property)', () => {
    const reader = new MembersAnswerReader();
    fc.assert(
      fc.property(answerNode(true), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 }), (node, flips) => {
        const payload = Buffer.from(write(node));
        for (const [at, value] of flips) payload[at % payload.length] = value;
        const answer = reader.read(payload);
        if (answer !== undefined) expect(answer).toEqual(decoded(payload));
      }),
      fcParams({ numRuns: 2_000 }),
    );
  });
});

const str = (text: string, form = 0): Node => ({ kind: 'str', bytes: Buffer.from(text, 'utf8'), form });
const int = (value: number, form = 0): Node => ({ kind: 'int', value, form });
const map = (pairs: readonly (readonly [string, Node])[], form = 0): Node => ({ kind: 'map', pairs: pairs.map(([key, value]) => [str(key), value] as const), form });
const entry = (pairs: readonly (readonly [string, Node])[]): Node => map(pairs);

const form = fc.nat({ max: 3 });
/** Few distinct values, so that servers repeat across runs; the odd ones only where asked for. */
const ids = (odd: boolean) => fc.constantFrom('n1', 'n2', 'sérveur', 'x'.repeat(70), ...(odd ? ['', 'é'.repeat(130)] : []));
const addresses = (odd: boolean) => fc.constantFrom('10.0.0.1:7000', 'host.example.org:7001', '[::1]:7000', ...(odd ? ['nope', '10.0.0.1:99999'] : []));
const roles = (odd: boolean) => fc.constantFrom<Node | undefined>(undefined, { kind: 'nil' }, str('voter'), str('nonvoter', 1), ...(odd ? [str('leader'), int(1)] : []));

/** A server entry: its keys in any order, values in any form; with `odd`, sometimes one left out or repeated, or invalid. */
const entryNode = (odd: boolean): fc.Arbitrary<Node> =>
  fc
    .record({
      id: fc.tuple(ids(odd), form).map(([id, f]) => str(id, f)),
      address: fc.tuple(addresses(odd), form).map(([address, f]) => str(address, f)),
      role: roles(odd),
      drop: odd ? fc.constantFrom(undefined, 'id', 'address') : fc.constant(undefined),
      repeat: odd ? fc.constantFrom(undefined, 'id') : fc.constant(undefined),
      order: fc.nat(5),
      form: fc.constantFrom(0, 2, 3),
    })
    .map(({ id, address, role, drop, repeat, order, form: f }) => {
      const pairs: [string, Node][] = [
        ['id', id],
        ['address', address],
      ];
      if (role !== undefined) pairs.push(['role', role]);
      const at = order % pairs.length;
      const rotated = [...pairs.slice(at), ...pairs.slice(0, at)].filter(([key]) => key !== drop);
      if (repeat !== undefined) rotated.push(['id', id]);
      return map(rotated, f);
    });

/** A members answer, well formed; with `odd`, sometimes not. */
const answerNode = (odd: boolean): fc.Arbitrary<Node> =>
  fc
    .record({
      rid: odd ? fc.oneof(fc.nat(MAX_REQUEST_ID), fc.constant(-1)) : fc.nat(MAX_REQUEST_ID),
      ridForm: form,
      ok: odd ? fc.constantFrom<Node>({ kind: 'true' }, { kind: 'false' }, int(1)) : fc.constant<Node>({ kind: 'true' }),
      index: fc.constantFrom<Node | undefined>(
        undefined,
        { kind: 'nil' },
        int(0),
        int(12345, 3),
        { kind: 'int64', value: 2n ** 60n, unsigned: true },
        { kind: 'int64', value: 2n ** 40n, unsigned: true },
        { kind: 'int64', value: 2n ** 40n, unsigned: false },
        ...(odd ? [{ kind: 'float64', value: 2 } as const, int(-1), { kind: 'int64', value: -5n, unsigned: false } as const] : []),
      ),
      members: fc.array(entryNode(odd), { maxLength: 8 }),
      membersForm: fc.constantFrom(0, 2, 3),
      next: fc.constantFrom<Node | undefined>(undefined, { kind: 'nil' }, int(3), int(70_000, 3), ...(odd ? [int(-3)] : [])),
      extra: odd ? fc.constantFrom<[string, Node] | undefined>(undefined, ['code', str('x')], ['rid', int(1)]) : fc.constant(undefined),
      order: fc.nat(24),
      mapForm: fc.constantFrom(0, 2, 3),
    })
    .map(({ rid, ridForm, ok, index, members, membersForm, next, extra, order, mapForm }) => {
      const pairs: [string, Node][] = [
        ['rid', int(rid, ridForm)],
        ['ok', ok],
        ['members', { kind: 'array', items: members, form: membersForm }],
      ];
      if (index !== undefined) pairs.push(['index', index]);
      if (next !== undefined) pairs.push(['next', next]);
      if (extra !== undefined) pairs.push(extra);
      const at = order % pairs.length;
      return map([...pairs.slice(at), ...pairs.slice(0, at)], mapForm);
    });
