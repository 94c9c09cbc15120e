import { describe, expect, it } from 'vitest';
import { MembershipTimeoutError, TcpChanger } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FaultProxy } from '../support/fault-proxy.js';
import { serve } from '../support/membership-fixture.js';

// TcpChanger against a server behind a FaultProxy: whatever the network
// does, a call either succeeds within its deadline or fails with
// MembershipTimeoutError shortly after it, and never hangs.

const use = useCleanup();
const SELF = '127.0.0.1:7999';
/** How late past its deadline a call may settle and still count as not hanging. */
const SLACK_MS = 1_000;

async function setup() {
  const cluster = use(await serve(), (c) => c.close());
  const proxy = use(await FaultProxy.start(cluster.address), (p) => p.close());
  const client = use(new TcpChanger({ address: SELF, minBackoffMs: 5, maxBackoffMs: 50 }), (c) => c.close());
  return { cluster, proxy, client };
}

/** Runs `call`, returning its outcome and how long it took. */
async function timed<T>(call: Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
  const started = performance.now();
  try {
    return { value: await call, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

describe('TcpChanger under network faults', () => {
  it('replaces a pooled connection the network cut, transparently, on the next call', async () => {
    const { cluster, proxy, client } = await setup();
    await client.join('n1', proxy.address, 2_000);
    expect(proxy.links).toHaveLength(1);
    const [link] = proxy.links;
    link!.cut();
    await link!.closed;
    expect(await client.join('n2', proxy.address, 2_000)).toBe(3);
    expect(proxy.stats.links).toBe(2);
    expect([...cluster.raft.servers.keys()]).toEqual(['n1', 'n2']);
  });

  it('retries a call whose response was cut in the middle of its frame, and the change is made once', async () => {
    const { cluster, proxy, client } = await setup();
    await client.join('warm', proxy.address, 2_000);
    // The next response gets its 4-byte header and 3 bytes of payload, then the link dies.
    proxy.links[0]!.cut({ afterBytes: 7, direction: 'down' });
    expect(await client.join('n1', proxy.address, 3_000)).toBe(3);
    expect(proxy.stats.cuts).toBe(1);
    expect(proxy.stats.links).toBe(2);
    // The request was sent twice; join is idempotent, so the index moved once.
    expect(cluster.raft.calls.filter((c) => c.startsWith('addVoter n1'))).toHaveLength(2);
    expect(cluster.raft.index).toBe(3);
  });

  it('fails a call on a black-holed connection with MembershipTimeoutError at its deadline', async () => {
    const { proxy, client } = await setup();
    await client.join('n1', proxy.address, 2_000);
    proxy.links[0]!.blackHole();
    const { error, ms } = await timed(client.join('n2', proxy.address, 300));
    expect(error).toBeInstanceOf(MembershipTimeoutError);
    expect(ms).toBeLessThan(300 + SLACK_MS);
  });

  it('fails a call whose dial is black-holed with MembershipTimeoutError at its deadline', async () => {
    const { proxy, client } = await setup();
    proxy.setFaults({ mode: 'black-hole' });
    const { error, ms } = await timed(client.join('n1', proxy.address, 300));
    expect(error).toBeInstanceOf(MembershipTimeoutError);
    expect(ms).toBeLessThan(300 + SLACK_MS);
  });

  it('does not reuse a connection a call timed out on: the next call dials afresh', async () => {
    const { cluster, proxy, client } = await setup();
    await client.join('n1', proxy.address, 2_000);
    proxy.links[0]!.blackHole();
    await expect(client.join('n2', proxy.address, 300)).rejects.toBeInstanceOf(MembershipTimeoutError);
    // The old link stays a black hole (a half-open TCP connection); new ones work.
    expect(await client.join('n3', proxy.address, 2_000)).toBe(3);
    expect(proxy.stats.links).toBe(2);
    expect(cluster.raft.servers.has('n3')).toBe(true);
  });

  it('succeeds over a slow link', async () => {
    const { cluster, proxy, client } = await setup();
    proxy.setFaults({ delayMs: 150 });
    expect(await client.join('n1', proxy.address, 5_000)).toBe(2);
    proxy.links[0]!.delay(250);
    expect(await client.leave('n1', proxy.address, 5_000)).toBe(3);
    expect(cluster.raft.servers.size).toBe(0);
  });

  it('rides out a partition that heals before the deadline', async () => {
    const { cluster, proxy, client } = await setup();
    await client.join('n1', proxy.address, 2_000);
    const [link] = proxy.links;
    link!.drop();
    const joining = client.join('n2', proxy.address, 5_000);
    setTimeout(() => link!.heal(), 200);
    expect(await joining).toBe(3);
    expect(cluster.raft.servers.has('n2')).toBe(true);
  });
});
