import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from './cli-process.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

describe('raft-membership with TLS files that are not what their option says', () => {
  it.each([
    ['a key given as the certificate', ['--tls-cert', fixture('client.key'), '--tls-key', fixture('client.key')], /--tls-cert: \S+client\.key holds no PEM certificate/],
    ['a certificate given as the key', ['--tls-cert', fixture('client.crt'), '--tls-key', fixture('client.crt')], /--tls-key: \S+client\.crt does not hold a PEM private key/],
    ['the key of another certificate', ['--tls-cert', fixture('client.crt'), '--tls-key', fixture('server.key')], /--tls-key \S+server\.key is not the private key of the certificate in --tls-cert \S+client\.crt/],
    ['a CA file that holds no certificate', ['--tls-ca', PACKAGE_JSON], /--tls-ca: \S+package\.json holds no PEM certificate/],
  ])('exits 64 (bad usage, before any dial) for %s', async (_name, files, message) => {
    const result = await run(['join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', '127.0.0.1:1', ...files]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/^raft-membership join: bad usage: /);
    expect(result.stderr).toMatch(message);
  });
});
