import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError, MembershipServer, type MembershipServerOptions } from '../../src/index.js';
import { decodeResponse, encodeRequest } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { membershipPeer, type RawPeer } from '../support/raw-peer.js';

// The per-peer request rate (requestRatePerPeer, requestBurstPerPeer): a
// peer past it waits, unrefused, while other peers are served as before.

const use = useCleanup();

async function listening(options: MembershipServerOptions) {
  const server = use(new MembershipServer(options), (s) => s.close());
  server.serveConfiguration(new FakeRaft());
  return { server, address: await server.listen() };
}

/** Sends `n` members requests at once and counts the answers as they come. */
function pipeline(peer: RawPeer, n: number): { answered: () => number; all: Promise<number[]> } {
  let answered = 0;
  peer.write(Buffer.concat(Array.from({ length: n }, (_, i) => encodeRequest({ type: 'members', rid: i + 1 }))));
  const all = (async () => {
    const rids: number[] = [];
    for (let i = 0; i < n; i++) {
      const response = decodeResponse(await peer.readFrame(10_000));
      expect(response.ok).toBe(true);
      rids.push(response.rid);
      answered += 1;
    }
    return rids;
  })();
  return { answered: () => answered, all };
}

describe('the per-peer request rate', () => {
  it('serves a peer its burst at once, then at its rate, refusing nothing; another peer is served meanwhile', async () => {
    const { address } = await listening({ requestRatePerPeer: 20, requestBurstPerPeer: 5 });
    const flood = use(await membershipPeer(address, '127.0.0.2'), (p) => p.close());
    const flooding = pipeline(flood, 60);
    await vi.waitFor(() => expect(flooding.answered()).toBeGreaterThanOrEqual(5));
    // 55 more at 20 a second take nearly three seconds: far from done now.
    expect(flooding.answered()).toBeLessThan(60);
    const quiet = use(await membershipPeer(address, '127.0.0.3'), (p) => p.close());
    const served = pipeline(quiet, 5);
    expect(await served.all).toEqual([1, 2, 3, 4, 5]);
    expect(flooding.answered()).toBeLessThan(60);
    // And the flood's requests are answered, in order, none refused.
    expect(await flooding.all).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('counts a peer\'s requests over all its connections', async () => {
    const { address } = await listening({ requestRatePerPeer: 10, requestBurstPerPeer: 4 });
    const first = pipeline(use(await membershipPeer(address, '127.0.0.2'), (p) => p.close()), 4);
    expect(await first.all).toHaveLength(4);
    const second = pipeline(use(await membershipPeer(address, '127.0.0.2'), (p) => p.close()), 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The burst is spent: a new connection from the same address does not get a new one.
    expect(second.answered()).toBeLessThan(4);
    expect(await second.all).toHaveLength(4);
  });

  it('takes Infinity for no limit, and refuses rates that are not positive numbers', () => {
    expect(new MembershipServer({ requestRatePerPeer: Infinity }).options.requestRatePerPeer).toBe(Infinity);
    expect(new MembershipServer().options).toMatchObject({ requestRatePerPeer: 100, requestBurstPerPeer: 50 });
    for (const bad of [0, -1, Number.NaN, '100' as unknown as number]) {
      expect(() => new MembershipServer({ requestRatePerPeer: bad })).toThrow(InvalidOptionError);
    }
    expect(() => new MembershipServer({ requestBurstPerPeer: 0 })).toThrow(/requestBurstPerPeer/);
  });
});
