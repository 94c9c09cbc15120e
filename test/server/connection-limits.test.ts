import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it, vi } from 'vitest';
import { Channel, MembershipServer, ReplyStatus, TcpChanger, parseAddress, type MembershipServerOptions } from '../../src/index.js';
import { encodeHello, encodeReply } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { RawPeer, membershipPeer } from '../support/raw-peer.js';

// Connection limits: per peer (remote IP), the slots kept for raft, and raft
// streams counted until they close. Other peers come from 127.0.0.2 and up.

const use = useCleanup();
const SELF = '127.0.0.1:7999';
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));

async function listening(options: MembershipServerOptions) {
  const server = use(new MembershipServer(options), (s) => s.close());
  return { server, address: await server.listen() };
}

async function member(address: string, from?: string): Promise<RawPeer> {
  return use(await membershipPeer(address, from), (p) => p.close());
}

/** Says hello and returns what the server answered before it closed. */
async function refused(address: string, from?: string, channel: Channel = Channel.Membership): Promise<Buffer> {
  const peer = use(await RawPeer.connect(address, 2_000, from), (p) => p.close());
  peer.write(encodeHello(channel));
  return peer.waitClosed();
}

function busy(reason: string): Buffer {
  return encodeReply(ReplyStatus.Busy, reason);
}

describe('connection limits', () => {
  it('refuses a peer past maxConnectionsPerPeer with busy, and serves other peers', async () => {
    const { server, address } = await listening({ maxConnectionsPerPeer: 3 });
    const held = [await member(address, '127.0.0.2'), await member(address, '127.0.0.2')];
    // A connection still in its preamble counts too.
    use(await RawPeer.connect(address, 2_000, '127.0.0.2'), (p) => p.close());
    await vi.waitFor(() => expect(server.connectionCounts).toMatchObject({ preamble: 1, membership: 2 }));
    expect(await refused(address, '127.0.0.2')).toEqual(busy('too many connections from this address'));
    await member(address, '127.0.0.3');
    await member(address);
    held[0]!.close();
    await vi.waitFor(() => expect(server.connectionCounts.membership).toBe(3));
    await member(address, '127.0.0.2');
  });

  it('keeps raftReservedConnections for raft streams', async () => {
    const { server, address } = await listening({ maxConnections: 4, raftReservedConnections: 2 });
    await member(address, '127.0.0.2');
    await member(address, '127.0.0.3');
    expect(await refused(address, '127.0.0.4')).toEqual(busy('too many membership connections'));
    const client = use(new TcpChanger({ address: SELF }), (c) => c.close());
    use(await client.dial(address, 2_000), (s) => s.destroy());
    use(await client.dial(address, 2_000), (s) => s.destroy());
    await vi.waitFor(() => expect(server.connectionCounts).toEqual({ preamble: 0, membership: 2, raft: 2, refusing: 0 }));
    // Now every slot is taken.
    expect(await refused(address, '127.0.0.5', Channel.Raft)).toEqual(busy('too many connections'));
  });

  it('counts raft streams handed to accept() until they close, in the total and per peer', async () => {
    const { server, address } = await listening({ maxConnections: 3, raftReservedConnections: 0, maxConnectionsPerPeer: 2 });
    const client = use(new TcpChanger({ address: SELF }), (c) => c.close());
    const accepted = [server.accept(), server.accept()];
    use(await client.dial(address, 2_000), (s) => s.destroy());
    use(await client.dial(address, 2_000), (s) => s.destroy());
    const streams = await Promise.all(accepted.map(async (a) => use(await a, (s) => s.destroy())));
    expect(server.connectionCount).toBe(0);
    expect(server.connectionCounts).toEqual({ preamble: 0, membership: 0, raft: 2, refusing: 0 });
    // 127.0.0.1 has used its two; another peer takes the last slot.
    expect(await refused(address)).toEqual(busy('too many connections from this address'));
    await member(address, '127.0.0.2');
    expect(await refused(address, '127.0.0.3')).toEqual(busy('too many connections'));
    streams[0]!.destroy();
    await vi.waitFor(() => expect(server.connectionCounts.raft).toBe(1));
    await member(address);
  });

  it('counts a TLS connection from its TCP accept: past the limit it is reset before any handshake', async () => {
    const { server, address } = await listening({
      tls: { key: fixture('server.key'), cert: fixture('server.crt') },
      maxConnectionsPerPeer: 2,
      preambleTimeoutMs: 300,
    });
    // Two peers that never start their TLS handshake.
    const stalled = [await RawPeer.connect(address, 2_000, '127.0.0.2'), await RawPeer.connect(address, 2_000, '127.0.0.2')];
    for (const p of stalled) use(p, (q) => q.close());
    await vi.waitFor(() => expect(server.connectionCounts.preamble).toBe(2));
    expect(server.connectionCount).toBe(2);
    const third = use(await RawPeer.connect(address, 2_000, '127.0.0.2'), (p) => p.close());
    expect((await third.waitClosed()).length).toBe(0);
    // Another peer completes its handshake and preamble.
    const { host, port } = parseAddress(address);
    const secure = use(tlsConnect({ host, port, ca: fixture('ca.crt'), checkServerIdentity: () => undefined }), (s) => s.destroy());
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    secure.write(encodeHello(Channel.Membership));
    const reply = await new Promise<Buffer>((resolve) => secure.once('data', resolve));
    expect(reply[0]).toBe(ReplyStatus.Accepted);
    // The preamble deadline, started at accept, covers the handshake.
    for (const p of stalled) await p.waitClosed();
    await vi.waitFor(() => expect(server.connectionCounts).toMatchObject({ preamble: 0, membership: 1 }));
  });

  it('warns of refusals at most once a second, with how many there were', async () => {
    const warnings: Array<Record<string, unknown> | undefined> = [];
    const { address } = await listening({ maxConnectionsPerPeer: 1, logger: { warn: (fields) => warnings.push(fields) } });
    await member(address, '127.0.0.2');
    for (let i = 0; i < 20; i++) expect((await refused(address, '127.0.0.2'))[0]).toBe(ReplyStatus.Busy);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThan(20);
    expect(warnings[0]).toMatchObject({ remote: '127.0.0.2', refused: 1 });
  });

  it('validates the limits with errors that name them', () => {
    expect(() => new MembershipServer({ maxConnectionsPerPeer: 0 })).toThrow(/maxConnectionsPerPeer/);
    expect(() => new MembershipServer({ maxConnections: 8, raftReservedConnections: 8 })).toThrow(/raftReservedConnections/);
    expect(() => new MembershipServer({ maxLingeringRefusals: -1 })).toThrow(/maxLingeringRefusals/);
    expect(new MembershipServer({ maxConnections: 16 }).options.raftReservedConnections).toBe(2);
    expect(new MembershipServer().options).toMatchObject({ maxConnections: 1024, maxConnectionsPerPeer: 64, raftReservedConnections: 64 });
  });
});
