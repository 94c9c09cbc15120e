import { describe, expect, it } from 'vitest';
import type { ClusterMember } from '../../reference/cluster-member.js';
import { CommittedConfigurations } from '../e2e/support/committed-configurations.js';
import { idsOf, prng, useE2ECluster } from '../e2e/support/e2e-cluster.js';
import { ChangeLedger, describeError, type ChangeOp } from './support/change-ledger.js';
import { ClusterNetwork } from './support/cluster-network.js';

// Many clients joining and leaving a three-server cluster at once, through
// fault proxies, while its leader is killed: no change reported made is
// lost, none refused is made, and the ambiguous ones are counted.

const network = { current: new ClusterNetwork() };
const cluster = useE2ECluster((id) => network.current.hooks(id));

const CLIENTS = 30;
const DEADLINE_MS = 3_000;
/** An ambiguous change is retried (the same join or leave is safe to repeat) up to this many times. */
const RETRIES = 3;
const seed = Number(process.env['CLUSTER_FAULT_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

describe('cluster faults under load', () => {
  it(`${CLIENTS} clients join and leave, some repeatedly, while the leader is killed (seed ${seed})`, async () => {
    console.log(`cluster load: CLUSTER_FAULT_SEED=${seed}`);
    const random = prng(seed);
    const net = (network.current = new ClusterNetwork());
    const c = cluster();
    c.onClose(() => net.close());
    const watch = new CommittedConfigurations(c);
    const voters = await c.build(3);
    const seeds = () => voters.map((m) => m.address).sort(() => random() - 0.5);
    // Each client is a real server (non-voter, so the three voters decide), with its own TcpChanger.
    const clients: ClusterMember[] = [];
    for (let i = 1; i <= CLIENTS; i += 1) clients.push(await c.start(`c${i}`));

    const ledger = new ChangeLedger();
    let ambiguous = 0;
    const change = async (client: ClusterMember, op: ChangeOp): Promise<void> => {
      for (let attempt = 0; attempt <= RETRIES; attempt += 1) {
        const record = await ledger.run(client.id, op, DEADLINE_MS, () =>
          op === 'join'
            ? client.changer.join(client.id, seeds(), { timeoutMs: DEADLINE_MS, role: 'nonvoter' })
            : client.changer.leave(client.id, seeds(), DEADLINE_MS),
        );
        if (record.verdict !== 'ambiguous') return;
        ambiguous += 1;
        console.log(`ambiguous: ${op} ${client.id}: ${describeError(record.error)}; retrying`);
      }
    };
    const plans = clients.map((client, i) => {
      // A third of the clients go round two or three times.
      const rounds = i % 3 === 0 ? 2 + Math.floor(random() * 2) : 1;
      const pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 40)));
      return (async () => {
        for (let r = 0; r < rounds; r += 1) {
          await pause();
          await change(client, 'join');
          await pause();
          // Some stay in the end.
          if (r < rounds - 1 || random() < 0.7) await change(client, 'leave');
        }
      })();
    });

    // Kill the leader early, with most changes still to come and many in flight.
    const leader = await c.waitForLeader(() => voters);
    const killAt = Math.floor(CLIENTS * 0.6);
    const answers = (n: number) => (async () => {
      while (ledger.records.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
    })();
    const killed = (async () => {
      await answers(killAt);
      const answered = ledger.records.length;
      await c.kill(leader.id);
      // Later, the network breaks every link the new leader has: its raft streams and its clients' connections.
      await answers(answered + killAt);
      const next = await c.waitForLeader(() => voters.filter((m) => m !== leader));
      const cut = (await net.cutDialedBy(next.id)) + net.inbound(next.id).links.length;
      net.inbound(next.id).cutAll();
      return `leader ${leader.id} killed after ${answered} answers, ${cut} links of the next leader ${next.id} cut after ${ledger.records.length}`;
    })();
    await Promise.all(plans);
    const faults = await killed;

    const { servers } = await c.waitForConvergence();
    const final = idsOf(servers);
    const lost = ledger.lost(c, final);
    const figures = `${ledger.figures(lost.length)}; ${ambiguous} ambiguous resolved by a retry; ${faults}; ${final.length} members in the end`;
    console.log(`cluster load (seed ${seed}): ${figures}`);
    expect(c.safetyViolations, 'two leaders in one term').toEqual([]);
    expect(watch.violations).toEqual([]);
    expect(watch.lost()).toEqual([]);
    expect(ledger.misbehaved()).toEqual([]);
    expect(lost).toEqual([]);
    // Every id's last change ended definitively.
    expect([...ledger.expected().values()]).not.toContain('unknown');
    expect(final.filter((id) => !id.startsWith('c'))).toHaveLength(3);
  });
});
