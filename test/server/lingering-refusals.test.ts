import { connect, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { MembershipServer, ReplyStatus, parseAddress } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { membershipPeer } from '../support/raw-peer.js';

const use = useCleanup();

/** A peer that connects and then ignores the server: it keeps what it receives, and never closes its side. */
function silentPeer(address: string): Promise<{ socket: Socket; received: Buffer[] }> {
  const { host, port } = parseAddress(address);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true, localAddress: '127.0.0.2' });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket: use(socket, (s) => s.destroy()), received }));
    socket.once('error', reject);
  });
}

describe('refused connections', () => {
  it('keep at most maxLingeringRefusals open, however many peers ignore their refusal', async () => {
    const server = use(new MembershipServer({ maxConnections: 1, maxLingeringRefusals: 4 }), (s) => s.close());
    const address = await server.listen();
    use(await membershipPeer(address), (p) => p.close());
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, server.connectionCounts.refusing)), 1);
    try {
      const flood = await Promise.all(Array.from({ length: 20 }, () => silentPeer(address)));
      await vi.waitFor(() => expect(server.connectionCounts.refusing).toBe(4));
      // Past the cap they were closed at once; the four lingering ones are closed after the linger.
      await vi.waitFor(() => expect(server.connectionCounts.refusing).toBe(0), { timeout: 3_000 });
      const replies = flood.map((p) => Buffer.concat(p.received)).filter((b) => b.length > 0);
      expect(replies.length).toBeGreaterThanOrEqual(4);
      for (const reply of replies) expect(reply[0]).toBe(ReplyStatus.Busy);
    } finally {
      clearInterval(sampler);
    }
    expect(most).toBe(4);
    expect(server.connectionCounts).toEqual({ preamble: 0, membership: 1, raft: 0, refusing: 0 });
  });

  it('are closed with the server', async () => {
    const server = new MembershipServer({ maxConnections: 1 });
    const address = await server.listen();
    use(await membershipPeer(address), (p) => p.close());
    await Promise.all(Array.from({ length: 3 }, () => silentPeer(address)));
    await vi.waitFor(() => expect(server.connectionCounts.refusing).toBe(3));
    await server.close();
    expect(server.connectionCounts.refusing).toBe(0);
  });
});
