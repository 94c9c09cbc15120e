import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AuthenticationError, HandshakeRefusedError, TcpChanger } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { serve } from '../support/membership-fixture.js';

const use = useCleanup();
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
const ca = fixture('ca.crt');
const serverTls = { key: fixture('server.key'), cert: fixture('server.crt') };
const clientTls = { key: fixture('client.key'), cert: fixture('client.crt') };
const SELF = '127.0.0.1:7999';

describe('TLS', () => {
  // First in the file: Node prints a deprecation warning once per process.
  it('sends no SNI server name for an IP address, so Node has nothing to warn about', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const cluster = use(await serve({ tls: serverTls }), (c) => c.close());
      const client = use(new TcpChanger({ address: SELF, tls: { ca } }), (c) => c.close());
      expect(await client.join('n2', cluster.address, 3_000)).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((message) => /ServerName|RFC 6066/.test(message))).toEqual([]);
  });

  it('carries membership requests and raft streams', async () => {
    const cluster = use(await serve({ tls: serverTls }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, tls: { ca } }), (c) => c.close());
    expect(await client.join('n2', cluster.address, 3_000)).toBe(2);
    const accepted = cluster.server.accept();
    const stream = use(await client.dial(cluster.address, 3_000), (s) => s.destroy());
    const served = use(await accepted, (s) => s.destroy());
    const echoed = new Promise<string>((resolve) => stream.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    served.once('data', (chunk: Buffer) => served.write(chunk));
    stream.write('over tls');
    expect(await echoed).toBe('over tls');
  });

  it('refuses a server whose certificate the client does not trust, without retrying', async () => {
    const cluster = use(await serve({ tls: serverTls }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, tls: {} }), (c) => c.close());
    const err = await client.join('n2', cluster.address, 3_000).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toMatch(/CERT|SELF_SIGNED|UNABLE_TO/);
  });

  it('serves mutual TLS to a client with a certificate, and no other', async () => {
    const cluster = use(await serve({ tls: { ...serverTls, ca, requestCert: true, rejectUnauthorized: true } }), (c) => c.close());
    const withCert = use(new TcpChanger({ address: SELF, tls: { ca, ...clientTls } }), (c) => c.close());
    expect(await withCert.join('n2', cluster.address, 3_000)).toBe(2);
    const without = use(new TcpChanger({ address: SELF, tls: { ca } }), (c) => c.close());
    await expect(without.join('n3', cluster.address, 500)).rejects.toThrow();
    expect(cluster.raft.servers.has('n3')).toBe(false);
  });
});

describe('shared secret', () => {
  it('admits a client that knows the secret, for both channels', async () => {
    const cluster = use(await serve({ secret: 's3cret' }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, secret: 's3cret' }), (c) => c.close());
    expect(await client.join('n2', cluster.address, 3_000)).toBe(2);
    const accepted = cluster.server.accept();
    use(await client.dial(cluster.address, 3_000), (s) => s.destroy());
    use(await accepted, (s) => s.destroy());
  });

  it('refuses a wrong secret, without retrying', async () => {
    const cluster = use(await serve({ secret: 's3cret' }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, secret: 'guess' }), (c) => c.close());
    const err = await client.join('n2', cluster.address, 3_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeRefusedError);
    expect((err as HandshakeRefusedError).reason).toBe('auth_failed');
    expect(cluster.raft.servers.size).toBe(0);
  });

  it('refuses a client without a secret', async () => {
    const cluster = use(await serve({ secret: 's3cret' }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF }), (c) => c.close());
    await expect(client.join('n2', cluster.address, 3_000)).rejects.toBeInstanceOf(AuthenticationError);
    await expect(client.dial(cluster.address, 3_000)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('makes a client with a secret refuse a server that does not prove it', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, secret: 's3cret' }), (c) => c.close());
    const err = await client.join('n2', cluster.address, 3_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as Error).message).toMatch(/without proving/);
  });
});
