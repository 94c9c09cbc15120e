/**
 * The soak against a real 3-server reference raft cluster (SOAK_RAFT=1 npm
 * run soak): four real servers join (as non-voters) and leave in a loop
 * through the voters, each pausing SOAK_PAUSE_MS (default 10) between
 * changes, while every SOAK_KILL_SECONDS (default 10) the leader
 * is killed and, SOAK_DOWN_SECONDS (default 1) later, restarted on its port
 * with its storage. A call that times out around a kill is retried until it
 * succeeds, and counted. Fails if a change reported made is not in the final
 * committed configuration, if members ever committed different
 * configurations at one index or lost one, if a call failed otherwise or
 * settled past its deadline + 1 s, if two leaders shared a term, if a
 * connection is left, or if memory grew after the warm-up by more than
 * SOAK_MAX_GROWTH_MB.
 *
 * The reference raft keeps its whole log (no compaction), which grows with
 * every change; that is the stand-in's memory, not the library's. At the
 * end, once the members are closed, the logs are dropped and the memory
 * they held is measured; the growth check subtracts it pro rata (bytes per
 * entry × the entries held at each sample). Both figures are printed.
 */
import type { ClusterMember } from '../../reference/cluster-member.js';
import { CommittedConfigurations } from '../e2e/support/committed-configurations.js';
import { E2ECluster, idsOf } from '../e2e/support/e2e-cluster.js';
import { MB, memorySample } from '../support/memory.js';
import { ChangeLedger, describeError, type ChangeOp } from './support/change-ledger.js';
import { MAX_GROWTH_MB, SAMPLE_SECONDS, SECONDS, envNumber, growthAfterWarmUp, sampleFor, sleep } from './support/soak-samples.js';

const CLIENTS = 4;
const DEADLINE_MS = 3_000;
const KILL_SECONDS = envNumber('SOAK_KILL_SECONDS', 10);
const DOWN_SECONDS = envNumber('SOAK_DOWN_SECONDS', 1);
/** Each client's pause between changes: unpaced, the logs grow by ~1 GB a minute and the soak measures the garbage collector. */
const PAUSE_MS = envNumber('SOAK_PAUSE_MS', 10);

/**
 * Keeps the ledger as small as what its checks need, so that it does not
 * grow with the run: each id's records from its last success on.
 */
function compact(ledger: ChangeLedger): void {
  const lastOk = new Map<string, number>();
  ledger.records.forEach((r, i) => r.verdict === 'ok' && lastOk.set(r.id, i));
  const keep = ledger.records.filter((r, i) => i >= (lastOk.get(r.id) ?? 0));
  ledger.records.splice(0, ledger.records.length, ...keep);
}

export async function soakRaft(): Promise<number> {
  const cluster = new E2ECluster();
  const watch = new CommittedConfigurations(cluster);
  const voters = await cluster.build(3);
  const voterIds = voters.map((m) => m.id);
  const seeds = voters.map((m) => m.address);
  const clients: ClusterMember[] = [];
  for (let i = 1; i <= CLIENTS; i += 1) clients.push(await cluster.start(`c${i}`));
  const entries = () => [...cluster.members.values()].reduce((n, m) => n + m.storage.entries.length, 0);
  const connections = () => cluster.live().reduce((n, m) => n + m.server.connectionCount, 0);

  const ledger = new ChangeLedger();
  const misbehaved: string[] = [];
  const totals = { ok: 0, ambiguous: 0, refused: 0 };
  const tally = (): void => {
    misbehaved.push(...ledger.misbehaved());
    compact(ledger);
  };
  let stop = false;
  const change = async (member: ClusterMember, op: ChangeOp): Promise<void> => {
    for (;;) {
      // Each call through the voters in turn, the killed one included: the client finds the leader.
      const record = await ledger.run(member.id, op, DEADLINE_MS, () =>
        op === 'join' ? member.changer.join(member.id, seeds, { timeoutMs: DEADLINE_MS, role: 'nonvoter' }) : member.changer.leave(member.id, seeds, DEADLINE_MS),
      );
      if (record.verdict === 'ok') return void (totals.ok += 1);
      if (record.verdict === 'refused') totals.refused += 1;
      if (record.verdict === 'ambiguous') totals.ambiguous += 1;
      if (record.verdict === 'failed') return; // misbehaved() reports it
    }
  };
  const loops = clients.map(async (member) => {
    while (!stop) {
      await change(member, 'join');
      await sleep(PAUSE_MS);
      await change(member, 'leave');
      await sleep(PAUSE_MS);
    }
  });

  let kills = 0;
  const killer = (async () => {
    while (!stop) {
      await sleep(KILL_SECONDS * 1_000);
      if (stop) return;
      const leader = await cluster.waitForLeader(() => cluster.live().filter((m) => voterIds.includes(m.id)));
      await cluster.kill(leader.id);
      kills += 1;
      await sleep(DOWN_SECONDS * 1_000);
      await cluster.restart(leader.id);
    }
  })();

  console.log(
    `soak (raft): ${SECONDS} s, 3 voters, ${CLIENTS} real servers joining and leaving as non-voters (pausing ${PAUSE_MS} ms between changes), the leader killed every ${KILL_SECONDS} s ` +
      `and restarted ${DOWN_SECONDS} s later, sampling every ${SAMPLE_SECONDS} s`,
  );
  const rows = await sampleFor(() => {
    tally();
    const leader = cluster.live().find((m) => m.raft.state() === 'leader');
    return { changes: totals.ok, connections: connections(), extra: { 'log entries': entries(), kills, leader: leader ? `${leader.id}/t${leader.raft.term}` : '-' } };
  });
  stop = true;
  await killer;
  await Promise.all(loops);
  tally();

  const problems: string[] = [];
  let finalIds: string[] = [];
  try {
    const { servers } = await cluster.waitForConvergence();
    finalIds = idsOf(servers);
    await cluster.waitForAgreement(cluster.live().filter((m) => finalIds.includes(m.id)), servers);
  } catch (error) {
    problems.push(`no agreement at the end: ${describeError(error)}`);
  }
  const lost = ledger.lost(cluster, finalIds);
  problems.push(...lost, ...watch.violations, ...watch.lost(), ...misbehaved);
  if (finalIds.join(',') !== [...voterIds].sort().join(',')) problems.push(`final configuration ${finalIds.join(',')}: every client left last`);

  await cluster.closeAll();
  const left = cluster.incarnations.reduce((n, m) => n + m.server.connectionCount, 0);
  if (left !== 0) problems.push(`${left} connections left after close`);
  problems.push(...cluster.safetyViolations);

  // What the raft logs held: dropped now that every member is closed.
  const logEntries = entries();
  const withLogs = memorySample().held;
  for (const member of cluster.members.values()) member.storage.truncateFrom(1);
  const perEntry = Math.max(0, (withLogs - memorySample().held) / Math.max(1, logEntries));
  const raw = growthAfterWarmUp(rows);
  const net = growthAfterWarmUp(rows, (r) => r.sample.held - perEntry * Number(r.extra?.['log entries'] ?? 0));
  console.log(
    `\nsoak (raft) done: ${totals.ok} changes made, ${lost.length} lost, ${totals.ambiguous} timed out around a kill and retried, ${totals.refused} refused; ` +
      `${kills} leader kills, ${cluster.leadersByTerm.size} terms with a leader, ${misbehaved.length} calls misbehaved; ` +
      `raft logs ${logEntries} entries, ${((perEntry * logEntries) / MB).toFixed(1)} MB (${perEntry.toFixed(0)} B each); ` +
      `memory held after warm-up ${(raw.baseline / MB).toFixed(1)} MB, peak ${(raw.peak / MB).toFixed(1)} MB (+${raw.growthMB.toFixed(1)} MB with the logs, ` +
      `+${net.growthMB.toFixed(1)} MB without, bound ${MAX_GROWTH_MB} MB); connections left: ${left}`,
  );
  if (net.growthMB > MAX_GROWTH_MB) problems.push(`memory grew by ${net.growthMB.toFixed(1)} MB after the warm-up, the raft logs set aside`);
  for (const problem of problems.slice(0, 20)) console.error(`FAIL: ${problem}`);
  return problems.length > 0 ? 1 : 0;
}
