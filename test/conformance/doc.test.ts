import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WireErrorCode } from '../../src/index.js';
import { caseCatalog, withCatalog } from '../../src/conformance/catalog.js';
import { dialerEnvironment } from '../../src/conformance/client/dialer.js';
import { clientCases } from '../../src/conformance/client/run-client.js';
import { serverCases } from '../../src/conformance/server/run-server.js';

const doc = readFileSync(new URL('../../docs/conformance.md', import.meta.url), 'utf8');
const wireFormat = readFileSync(new URL('../../docs/wire-format.md', import.meta.url), 'utf8');

describe('docs/conformance.md', () => {
  it('lists the cases as they are (run `npm run conformance:doc` after changing one)', () => {
    expect(withCatalog(doc)).toBe(doc);
    expect(doc).toContain(caseCatalog());
  });

  it('documents every variable of the dialer contract the kit sets', () => {
    const env = dialerEnvironment({
      caseName: 'c', operation: 'join', target: 'a:1', id: 'i', address: 'a:2', role: 'voter', clusterName: '', secret: undefined, secretFile: 'f', tlsCaFile: 'ca', timeoutMs: 1,
    });
    for (const name of Object.keys(env)) expect(doc).toContain(`\`${name}\``);
  });
});

describe('the cases, as data', () => {
  const all = [...serverCases, ...clientCases];
  const sections = new Set([...wireFormat.matchAll(/^## (\d+)\. /gm)].map((m) => `§${m[1]}`));

  it('have unique, stable-looking names', () => {
    const names = all.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+\.[a-z0-9^.-]+$/);
    for (const c of clientCases) expect(c.name.startsWith('dialer.')).toBe(true);
  });

  it('cite a section of wire-format.md, and a row that its table has', () => {
    const codes = new Set<string>(Object.values(WireErrorCode));
    for (const c of all) {
      expect(sections, c.name).toContain(c.section);
      if (c.row === undefined) continue;
      if (c.section === '§2') expect(Number(c.row), c.name).toBeGreaterThanOrEqual(1);
      if (c.section === '§2') expect(Number(c.row), c.name).toBeLessThanOrEqual(10);
      if (c.section === '§8') expect(codes, c.name).toContain(c.row);
    }
  });

  it('each say what they check, at one of the levels of RFC 2119', () => {
    for (const c of all) {
      expect(c.description.length, c.name).toBeGreaterThan(20);
      expect(['MUST', 'SHOULD', 'MAY']).toContain(c.requirement);
    }
  });
});
