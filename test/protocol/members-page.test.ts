import { describe, expect, it } from 'vitest';
import type { ConfigurationServer } from '../../src/index.js';
import { EncodedConfiguration, type EncodedMembersPage } from '../../src/protocol/members-page.js';
import { MAX_REQUEST_ID, MEMBERS_PAGE_BYTES, decodeResponse, encodeResponse, type MembersResponse } from '../../src/protocol/messages.js';
import fc from 'fast-check';
import { fcParams } from '../support/fc.js';

function servers(n: number, idBytes = 8): ConfigurationServer[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`.padEnd(idBytes, 'x'),
    address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7000`,
    role: i % 3 === 0 ? 'nonvoter' : 'voter',
  }));
}

/** A page's parts as the one frame they are written as. */
function frameOf(page: EncodedMembersPage): Buffer {
  return Buffer.concat(page.parts);
}

/** Follows `next` from offset 0, as a dialer must; returns every page. */
function allPages(encoded: EncodedConfiguration, rid = MAX_REQUEST_ID): MembersResponse[] {
  const pages: MembersResponse[] = [];
  let offset: number | undefined = 0;
  while (offset !== undefined) {
    const page = encoded.page(rid, offset);
    const frame = frameOf(page);
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
    const response = decodeResponse(frame.subarray(4)) as MembersResponse;
    pages.push(response);
    expect(response.next).toBe(page.next);
    offset = response.next;
  }
  return pages;
}

describe('EncodedConfiguration', () => {
  it.each([0, 1, 127, 128, 255, 256, 65_535, 65_536, MAX_REQUEST_ID])('writes the same bytes as encodeResponse for rid %d', (rid) => {
    const list = servers(40);
    for (const index of [undefined, 0, 42, 2 ** 32 + 5]) {
      const encoded = new EncodedConfiguration(list, index);
      for (const offset of [0, 1, 15, 16, 39, 40, 41]) {
        const members = list.slice(offset);
        const base = index === undefined ? { rid, ok: true as const, members } : { rid, ok: true as const, index, members };
        expect(frameOf(encoded.page(rid, offset)).equals(encodeResponse(base))).toBe(true);
      }
    }
  });

  it('cuts a large configuration into pages that each fit, hold as many servers as fit, and cover it once in order', () => {
    const list = servers(3_000, 200);
    const encoded = new EncodedConfiguration(list, 7);
    const pages = allPages(encoded);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flatMap((p) => p.members)).toEqual(list);
    let offset = 0;
    for (const page of pages) {
      const frame = frameOf(encoded.page(MAX_REQUEST_ID, offset));
      expect(frame.length - 4).toBeLessThanOrEqual(MEMBERS_PAGE_BYTES);
      expect(page.index).toBe(7);
      const end = offset + page.members.length;
      if (end < list.length) {
        // One more server would not have fit, whatever the rid.
        const bigger = encodeResponse({ rid: MAX_REQUEST_ID, ok: true, index: 7, members: list.slice(offset, end + 1), ...(end + 1 < list.length ? { next: end + 1 } : {}) });
        expect(bigger.length - 4).toBeGreaterThan(MEMBERS_PAGE_BYTES);
      }
      offset = end;
    }
  });

  it('answers an offset at or past the end with no servers and no next', () => {
    const encoded = new EncodedConfiguration(servers(3), 9);
    for (const offset of [3, 4, MAX_REQUEST_ID]) {
      expect(decodeResponse(frameOf(encoded.page(5, offset)).subarray(4))).toEqual({ rid: 5, ok: true, index: 9, members: [] });
    }
    expect(decodeResponse(frameOf(new EncodedConfiguration([]).page(1, 0)).subarray(4))).toEqual({ rid: 1, ok: true, members: [] });
  });

  it('writes every page\'s servers as a view of one encoding, never a copy', () => {
    const encoded = new EncodedConfiguration(servers(3_000, 40), 7);
    const first = encoded.page(1, 0);
    const again = encoded.page(2, 0);
    const second = encoded.page(3, first.next!);
    expect(first.parts).toHaveLength(3);
    expect(again.parts[1]!.buffer).toBe(first.parts[1]!.buffer);
    expect(again.parts[1]!.byteOffset).toBe(first.parts[1]!.byteOffset);
    expect(second.parts[1]!.buffer).toBe(first.parts[1]!.buffer);
    expect(second.parts[1]!.byteOffset).toBe(first.parts[1]!.byteOffset + first.parts[1]!.length);
  });

  it('refuses a server that alone does not fit a page', () => {
    const huge = [{ id: 'n1', address: `${'a'.repeat(63)}.`.repeat(1_100) + 'b:1', role: 'voter' as const }];
    expect(() => new EncodedConfiguration(huge).page(1, 0)).toThrow(/alone is larger than a members answer/);
  });

  it('pages any configuration from any offset within the limit (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 64 }), port: fc.integer({ min: 1, max: 65_535 }), voter: fc.boolean() }), { maxLength: 1_500 }),
        fc.nat({ max: 1_600 }),
        fc.nat({ max: MAX_REQUEST_ID }),
        (entries, offset, rid) => {
          const list = entries.map(({ id, port, voter }) => ({ id, address: `h.example:${port}`, role: voter ? 'voter' : 'nonvoter' }) as const);
          const page = new EncodedConfiguration(list, 3).page(rid, offset);
          const frame = frameOf(page);
          expect(frame.length - 4).toBeLessThanOrEqual(MEMBERS_PAGE_BYTES);
          const response = decodeResponse(frame.subarray(4)) as MembersResponse;
          const end = page.next ?? list.length;
          expect(response).toEqual({ rid, ok: true, index: 3, members: list.slice(offset, Math.max(offset, end)), ...(page.next === undefined ? {} : { next: page.next }) });
        },
      ),
      fcParams({ numRuns: 60 }),
    );
  });
});
