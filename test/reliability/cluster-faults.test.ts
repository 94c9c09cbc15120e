import { describe, expect, it } from 'vitest';
import { MembershipTimeoutError } from '../../src/index.js';
import { decodePayload } from '../../src/protocol/msgpack.js';
import { EntryKind } from '../../reference/raft/log.js';
import { CommittedConfigurations } from '../e2e/support/committed-configurations.js';
import { WAIT_MS, idsOf, useE2ECluster, type E2ECluster } from '../e2e/support/e2e-cluster.js';
import { ChangeLedger, SLACK_MS, describeError } from './support/change-ledger.js';
import { ClusterNetwork } from './support/cluster-network.js';

// Real raft servers (reference RaftNode, real elections) with fault proxies
// on every link between them and in front of each for its clients.

const network = { current: new ClusterNetwork() };
const cluster = useE2ECluster((id) => network.current.hooks(id));

/** A fresh network per test, closed after the cluster's members. */
function setup(): { c: E2ECluster; net: ClusterNetwork; watch: CommittedConfigurations } {
  const net = (network.current = new ClusterNetwork());
  const c = cluster();
  c.onClose(() => net.close());
  return { c, net, watch: new CommittedConfigurations(c) };
}

/** Per-call deadline: room for an election, back-off and a retry through the new leader. */
const DEADLINE_MS = 4_000;

/** What every test checks at its end. */
async function expectSafe(c: E2ECluster, watch: CommittedConfigurations, ledger?: ChangeLedger): Promise<string[]> {
  const { servers } = await c.waitForConvergence();
  expect(c.safetyViolations, 'two leaders in one term').toEqual([]);
  expect(watch.violations).toEqual([]);
  expect(watch.lost(), 'committed configurations lost').toEqual([]);
  if (ledger) {
    expect(ledger.misbehaved()).toEqual([]);
    expect(ledger.lost(c, idsOf(servers))).toEqual([]);
  }
  return idsOf(servers);
}

/**
 * A cut point for `ProxyLink.cutWhere`: the middle of the first raft
 * frame (4-byte length + MessagePack) in a chunk that carries a
 * configuration entry. Chunks are taken to start on a frame boundary,
 * which holds on loopback; a chunk that does not parse is let through.
 */
function inConfigurationEntry(chunk: Buffer): number | undefined {
  for (let at = 0; at + 4 <= chunk.length; ) {
    const length = chunk.readUInt32BE(at);
    if (at + 4 + length > chunk.length) return undefined;
    try {
      const message = decodePayload(chunk.subarray(at + 4, at + 4 + length)) as { entries?: { kind?: string }[] };
      if (message.entries?.some((e) => e.kind === EntryKind.Configuration)) return at + 4 + Math.floor(length / 2);
    } catch {
      return undefined;
    }
    at += 4 + length;
  }
  return undefined;
}

describe('cluster faults: fault proxies between real raft servers', () => {
  it('partitions the leader away from the majority while joins and leaves are in flight; it steps down and converges after the heal', async () => {
    const { c, net, watch } = setup();
    await c.build(3);
    for (const id of ['a1', 'a2']) await (await c.start(id)).join((await c.waitForLeader()).address, WAIT_MS);
    const leader = await c.waitForLeader();
    const others = c.live().filter((m) => m !== leader);
    const seeds = [leader, ...others].map((m) => m.address);
    const joiners = await Promise.all(['j1', 'j2', 'j3'].map((id) => c.start(id)));
    const leavers = others.filter((m) => m.id === 'a1' || m.id === 'a2');

    const ledger = new ChangeLedger();
    const calls = [
      ...joiners.map((j) => ledger.run(j.id, 'join', DEADLINE_MS, () => j.join(seeds, DEADLINE_MS))),
      ...leavers.map((m) => ledger.run(m.id, 'leave', DEADLINE_MS, () => m.leave(seeds, DEADLINE_MS))),
    ];
    // The leader runs changes one at a time: once the first is answered, the others are queued behind it.
    await Promise.race(calls);
    const term = leader.raft.term;
    await net.isolate(leader.id, 'drop');
    const inFlight = calls.length - ledger.records.length;

    // The majority side elects a leader of its own; the old one, hearing from no majority, steps down.
    const next = await c.waitForLeader(() => c.live().filter((m) => m !== leader));
    expect(next.raft.term).toBeGreaterThan(term);
    await Promise.all(calls);
    expect(leader.raft.state()).not.toBe('leader');

    await net.heal(leader.id);
    const final = await expectSafe(c, watch, ledger);
    expect(leader.raft.leader()).toBe((await c.waitForLeader()).address);
    expect(idsOf(leader.raft.committedConfiguration())).toEqual(final);
    console.log(
      `partition: ${inFlight} of ${calls.length} changes in flight when ${leader.id} was cut off; new leader ${next.id}; ` +
        ledger.records.map((r) => `${r.op} ${r.id} ${r.verdict}${r.error ? ` (${describeError(r.error)})` : ''}`).join('; '),
    );
  });

  it('recovers from a raft stream cut in the middle of a frame carrying a configuration entry, losing no committed entry', async () => {
    const { c, net, watch } = setup();
    await c.build(3);
    const leader = await c.waitForLeader();
    const before = await leader.raft.apply('before the cuts', WAIT_MS);
    let cuts = 0;
    for (const [op, id] of [['join', 'j1'], ['leave', 'j1']] as const) {
      // Every stream the leader has open to a follower dies inside the next configuration entry it sends.
      const pairs = await net.pairs({ from: leader.id });
      for (const proxy of pairs) for (const link of proxy.links) link.cutWhere('up', inConfigurationEntry);
      const cutsBefore = pairs.reduce((n, p) => n + p.stats.cuts, 0);
      const member = op === 'join' ? await c.start(id) : c.member(id);
      const index = await (op === 'join' ? member.join(leader.address, WAIT_MS) : member.leave(leader.address, WAIT_MS));
      expect(index).toBeGreaterThan(before);
      const after = await net.pairs({ from: leader.id });
      cuts += after.reduce((n, p) => n + p.stats.cuts, 0) - cutsBefore;
    }
    // Each change's entry went to at least one follower mid-frame (the joiner itself is caught up on a fresh link).
    expect(cuts).toBeGreaterThanOrEqual(2);
    const last = await leader.raft.apply('after the cuts', WAIT_MS);
    const final = await expectSafe(c, watch);
    expect(final).toEqual(['n1', 'n2', 'n3']);
    const live = c.live().filter((m) => final.includes(m.id));
    await c.waitForLog(live, last);
    // Same committed log everywhere: same term at every index up to the last.
    for (const m of live) expect(m.storage.entries.slice(0, last).map((e) => e.term)).toEqual(leader.storage.entries.slice(0, last).map((e) => e.term));
    console.log(`mid-frame: ${cuts} raft streams cut inside a configuration entry; log of ${last} entries identical on ${live.map((m) => m.id)}`);
  });

  it('stalls (black-holes) the leader: the others elect a new one; clients aimed at it fail cleanly or get through via seeds', async () => {
    const { c, net, watch } = setup();
    await c.build(3);
    const leader = await c.waitForLeader();
    const others = c.live().filter((m) => m !== leader);
    await net.isolate(leader.id, 'black-hole', { clients: true });
    const next = await c.waitForLeader(() => others);
    expect(next.id).not.toBe(leader.id);

    const ledger = new ChangeLedger();
    const direct = await c.start('d1');
    const seeded = await c.start('s1');
    const [aimed, viaSeeds] = await Promise.all([
      ledger.run('d1', 'join', 2_000, () => direct.join(leader.address, 2_000)),
      ledger.run('s1', 'join', DEADLINE_MS, () => seeded.join([leader.address, ...others.map((m) => m.address)], DEADLINE_MS)),
    ]);
    // Only the stalled leader to ask: nothing comes back, and the call says so at its deadline.
    expect(aimed.error).toBeInstanceOf(MembershipTimeoutError);
    expect(aimed.ms).toBeLessThan(2_000 + SLACK_MS);
    // With seeds, the stalled leader gets only its share of the deadline: a healthy seed redirects to the new leader.
    expect(viaSeeds.verdict, describeError(viaSeeds.error)).toBe('ok');

    await net.heal(leader.id);
    // Healed, the old leader follows the new one, and a call through it is redirected there.
    await ledger.run('d1', 'join', DEADLINE_MS, () => direct.join(leader.address, DEADLINE_MS));
    await ledger.run('s1', 'join', DEADLINE_MS, () => seeded.join(leader.address, DEADLINE_MS));
    const final = await expectSafe(c, watch, ledger);
    expect(final).toEqual(['d1', 'n1', 'n2', 'n3', 's1']);
    expect(leader.raft.state()).toBe('follower');
    console.log(`stall: ${leader.id} black-holed, ${next.id} elected; aimed at it: ${aimed.verdict} in ${Math.round(aimed.ms)} ms; with seeds: ${viaSeeds.verdict} in ${Math.round(viaSeeds.ms)} ms`);
  });

  it('replaces pooled client connections the network broke: a join after a cut succeeds', async () => {
    const { c, net, watch } = setup();
    await c.build(3);
    const leader = await c.waitForLeader();
    const joiner = await c.start('x1');
    const inbound = net.inbound(leader.id);
    const ledger = new ChangeLedger();
    const change = (op: 'join' | 'leave') => ledger.run('x1', op, DEADLINE_MS, () => (op === 'join' ? joiner.join(leader.address, DEADLINE_MS) : joiner.leave(leader.address, DEADLINE_MS)));

    await change('join');
    expect(inbound.links.length).toBeGreaterThan(0);
    inbound.cutAll();
    await Promise.all(inbound.links.map((l) => l.closed));
    expect((await change('leave')).verdict).toBe('ok');
    // The next response is cut after its header: the call retries on a new connection.
    for (const link of inbound.links) link.cut({ afterBytes: 6, direction: 'down' });
    expect((await change('join')).verdict).toBe('ok');
    expect(inbound.stats.cuts).toBeGreaterThanOrEqual(2);
    expect(await expectSafe(c, watch, ledger)).toEqual(['n1', 'n2', 'n3', 'x1']);
    console.log(`pooled: ${inbound.stats.links} client links to ${leader.id}, ${inbound.stats.cuts} cut; ${ledger.figures(0)}`);
  });
});
