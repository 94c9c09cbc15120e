import { readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { TcpChanger, TlsMismatchError } from '../../src/index.js';
import { looksLikeTls } from '../../src/client/tls-mismatch.js';
import { useCleanup } from '../support/cleanup.js';
import { promptFailure } from './support/prompt-failure.js';
import { serve } from '../support/membership-fixture.js';

// A plain client meets a TLS server, or a TLS client a plain one: named at
// once, and not retried until the deadline.

const use = useCleanup();
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
const ca = fixture('ca.crt');
const serverTls = { key: fixture('server.key'), cert: fixture('server.crt') };
const SELF = '127.0.0.1:7999';

/** How long a mismatch may take to be named: far less than the deadline, which is what it took before. */
const DEADLINE_MS = 8_000;

const mismatch = (call: Promise<unknown>): Promise<TlsMismatchError> => promptFailure(call, TlsMismatchError, DEADLINE_MS);

describe('TLS on one side only', () => {
  it('a plain client against a TLS server (which closes without a byte): named, not retried', async () => {
    const cluster = use(await serve({ tls: serverTls }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF }), (c) => c.close());
    const err = await mismatch(client.join('n2', cluster.address, DEADLINE_MS));
    expect(err).toMatchObject({ code: 'ERR_TLS_MISMATCH', serverTls: true, target: cluster.address });
    expect(err.message).toMatch(/speaks TLS, and this client dials without it/);
    await mismatch(client.dial(cluster.address, DEADLINE_MS));
    await mismatch(client.members([cluster.address], DEADLINE_MS));
    expect(cluster.raft.servers.size).toBe(0);
  });

  it('asks a server that keeps closing without a word whether it speaks TLS once, not on every retry', async () => {
    // Reads the first bytes (a hello, or a probe's ClientHello) and closes without a word: a server past its refusals.
    const firstBytes: number[] = [];
    const sockets = use(new Set<Socket>(), (all) => all.forEach((s) => s.destroy()));
    const server = use(
      createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.once('data', (chunk: Buffer) => {
          firstBytes.push(chunk[0]!);
          socket.destroy();
        });
      }),
      (s) => new Promise((resolve) => s.close(resolve)),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const client = use(new TcpChanger({ address: SELF, minBackoffMs: 20, maxBackoffMs: 100 }), (c) => c.close());
    const err = await client.join('n2', address, 1_500).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    // Retried like Busy until the deadline; the last failure is the cause.
    expect(err?.message).toMatch(/^join of n2 did not complete within 1500 ms/);
    expect((err?.cause as Error | undefined)?.message).toMatch(/closed the connection during the preamble, without a word/);
    const dialed = await client.dial(address, 300).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect((dialed?.cause as Error | undefined)?.message ?? dialed?.message).toMatch(/without a word/);
    const hellos = firstBytes.filter((b) => b === 0x52).length; // 'R', the hello's magic
    const probes = firstBytes.filter((b) => b === 0x16).length; // a TLS ClientHello
    expect(hellos).toBeGreaterThanOrEqual(4);
    expect(probes).toBe(1);
  });

  it('a plain client against a server that wants mutual TLS: the same', async () => {
    const cluster = use(await serve({ tls: { ...serverTls, ca, requestCert: true, rejectUnauthorized: true } }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF }), (c) => c.close());
    expect((await mismatch(client.join('n2', cluster.address, DEADLINE_MS))).serverTls).toBe(true);
  });

  it('a TLS client against a plain server: named, with OpenSSL\'s words as the cause', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, tls: { ca } }), (c) => c.close());
    const err = await mismatch(client.join('n2', cluster.address, DEADLINE_MS));
    expect(err).toMatchObject({ code: 'ERR_TLS_MISMATCH', serverTls: false });
    expect(err.message).toMatch(/does not speak TLS, and this client dials with it/);
    expect((err.cause as Error).message).toMatch(/wrong version number/);
    await mismatch(client.dial(cluster.address, DEADLINE_MS));
  });

  it('a plain client that gets a TLS record back (a TLS server that sends an alert)', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      // A TLS 1.2 alert record: fatal, protocol_version.
      socket.once('data', () => socket.end(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    use(server, (s) => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => s.close(resolve));
    });
    const { port } = server.address() as { port: number };
    const client = use(new TcpChanger({ address: SELF }), (c) => c.close());
    const err = await mismatch(client.join('n2', `127.0.0.1:${port}`, DEADLINE_MS));
    expect(err.serverTls).toBe(true);
  });

  it('tells a TLS record from a preamble reply by its first bytes', () => {
    expect(looksLikeTls(Buffer.from([0x16, 0x03, 0x01, 0x00]))).toBe(true);
    expect(looksLikeTls(Buffer.from([0x15, 0x03, 0x03]))).toBe(true);
    // Busy and ShuttingDown replies (0x15, 0x16) carry text after their length byte.
    expect(looksLikeTls(Buffer.from([0x15, 0x14, ...Buffer.from('too many connections')]))).toBe(false);
    expect(looksLikeTls(Buffer.from([0x16, 0x03, 0x61, 0x62, 0x63]))).toBe(false);
    expect(looksLikeTls(Buffer.from([0x00, 0x00]))).toBe(false);
    expect(looksLikeTls(Buffer.from([0x16, 0x03]))).toBe(false);
    // With the record's length at hand, it must fit the type: an alert is 2 bytes.
    expect(looksLikeTls(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]))).toBe(true);
    expect(looksLikeTls(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x7a]))).toBe(true);
    // Busy with the 3-byte reason "\x01ab" starts as a TLS record would, but its "length" is 0x6162.
    expect(looksLikeTls(Buffer.from([0x15, 0x03, 0x01, 0x61, 0x62]))).toBe(false);
    expect(looksLikeTls(Buffer.from([0x16, 0x03, 0x00, 0x00, 0x01]))).toBe(false);
  });
});
