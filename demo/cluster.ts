/**
 * `npm run demo`: a raft cluster of separate Node processes on loopback.
 * One server bootstraps, four join through TcpChanger (some through
 * followers, which redirect them to the leader), the leader leaves and a new
 * one takes over, then another server leaves. Each step is checked: every
 * live server must agree on the configuration. Exits 0 on success, 1 with
 * the reason on failure, and leaves no process behind.
 *
 * `npm run demo -- --keep` then keeps the cluster up (serving `members`),
 * with a spare server to join, and prints the command lines to try against
 * it, until Ctrl-C.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemberProcess, STEP_TIMEOUT_MS } from './member-process.js';
import type { Reply, Status } from './protocol.js';

const USAGE = 'usage: npm run demo [-- --keep]   (--keep: leave the cluster up to try the command line against, until Ctrl-C)';
const DEMO_DEADLINE_MS = 50_000;
const options = process.argv.slice(2);
if (options.some((option) => option !== '--keep')) {
  console.error(USAGE);
  process.exit(64);
}
const keep = options.includes('--keep');

const members = new Map<string, MemberProcess>();

function log(line: string): void {
  console.log(line);
}

/** A member's id, for an address the client reported. */
function nameOf(address: string): string {
  return [...members.values()].find((m) => m.address === address)?.id ?? address;
}

async function start(id: string, bootstrap = false): Promise<MemberProcess> {
  const member = new MemberProcess(id, bootstrap);
  members.set(id, member);
  await member.ready;
  log(`  started ${id} at ${member.address}${bootstrap ? ' (bootstrapped a new cluster)' : ''}`);
  return member;
}

async function change(member: MemberProcess, op: 'join' | 'leave', via: MemberProcess[]): Promise<void> {
  const reply = await member.ask({ op, targets: via.map((m) => m.address) });
  if (reply.op === 'failed') throw new Error(`${op} of ${member.id} failed: ${reply.error}`);
  if (reply.op !== 'done') throw new Error(`${op} of ${member.id}: unexpected reply ${reply.op}`);
  log(`  ${member.id} ${op === 'join' ? 'joined' : 'left'} via ${via.map((m) => m.id).join(', ')} in ${reply.ms.toFixed(1)} ms, configuration index ${reply.index ?? '?'}`);
  for (const line of explain(reply, via)) log(`     ${line}`);
}

/** What the client did between asking the first seed and the answer, from the steps the member reported. */
function explain(reply: Extract<Reply, { op: 'done' }>, via: MemberProcess[]): string[] {
  if (reply.steps.length === 0) return [`${via[0]!.id} is the leader: it answered itself`];
  return reply.steps.map((step) =>
    step.kind === 'redirect'
      ? `${nameOf(step.from)} is a follower: it answered with the leader's address, and the client asked ${nameOf(step.leader)}`
      : `an attempt failed (${step.error}); the client backed off and tried again`,
  );
}

async function statuses(): Promise<Status[]> {
  return Promise.all([...members.values()].map((m) => m.status()));
}

/** Polls until every live member agrees on `expected` (ids) and exactly one leads; returns the statuses. */
async function settle(expected: string[], what: string): Promise<Status[]> {
  const want = [...expected].sort().join(',');
  const until = Date.now() + STEP_TIMEOUT_MS;
  let last: Status[] = [];
  for (;;) {
    last = await statuses();
    const inConfig = last.filter((s) => expected.includes(s.id));
    const agreed = inConfig.every((s) => s.configuration.map((c) => c.id).sort().join(',') === want);
    const leaders = inConfig.filter((s) => s.state === 'leader');
    const sameCommit = new Set(inConfig.map((s) => s.commitIndex)).size === 1;
    if (agreed && leaders.length === 1 && sameCommit) return last;
    if (Date.now() > until) {
      printTable(last);
      throw new Error(`servers did not agree on ${want} with one leader (${what})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function printTable(rows: Status[]): void {
  const header = ['id', 'address', 'role', 'state', 'term', 'commit', 'configuration'];
  const body = rows.map((s) => {
    const me = s.configuration.find((c) => c.id === s.id);
    return [s.id, s.address, me ? me.role : 'not a member', s.state, String(s.term), String(s.commitIndex), s.configuration.map((c) => c.id).join(',')];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `  | ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  log(line(header));
  log(`  |${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) log(line(row));
}

/** The tour: bootstrap, joins, a leader change, a leave; resolves to the servers still in the cluster. */
async function tour(): Promise<Status[]> {
  log('raft-membership demo: five raft servers, one process each, on loopback\n');

  log('1. n1 bootstraps a cluster and elects itself');
  const n1 = await start('n1', true);
  printTable(await settle(['n1'], 'bootstrap'));

  log('\n2. n2..n5 start and join: n2 through the leader, the others through followers (redirected to the leader)');
  log('   "via" lists the seeds given to join, tried in turn until one answers. Any member will do:');
  log('   a follower answers with the leader\'s address, and the client follows it to the leader.');
  const n2 = await start('n2');
  await change(n2, 'join', [n1]);
  const n3 = await start('n3');
  await change(n3, 'join', [n2]);
  const n4 = await start('n4');
  await change(n4, 'join', [n3]);
  const n5 = await start('n5');
  await change(n5, 'join', [n4, n2]);

  const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const joined = await settle(five, 'after the joins');
  printTable(joined);

  // Usually n1 still leads; on a loaded machine an election may have moved it.
  const oldLeader = members.get(joined.find((s) => s.state === 'leader')!.id)!;
  log(`\n3. the leader, ${oldLeader.id}, leaves; leadership passes to another server`);
  await change(oldLeader, 'leave', [oldLeader]);
  const four = five.filter((id) => id !== oldLeader.id);
  const after = await settle(four, `after the leader ${oldLeader.id} left`);
  const newLeader = after.find((s) => s.state === 'leader' && four.includes(s.id));
  if (!newLeader) throw new Error('no new leader took over');
  printTable(after);
  log(`  new leader: ${newLeader.id}`);
  await oldLeader.stop();
  members.delete(oldLeader.id);
  log(`  ${oldLeader.id} stopped`);

  // A follower leaves, asking another follower, which sends it on to the leader.
  const [leaving, through] = four.filter((id) => id !== newLeader.id).map((id) => members.get(id)!);
  log(`\n4. ${leaving!.id}, a follower, leaves through ${through!.id}`);
  await change(leaving!, 'leave', [through!]);
  const remaining = four.filter((id) => id !== leaving!.id);
  const final = await settle(remaining, `after ${leaving!.id} left`);
  printTable(final);
  await leaving!.stop();
  members.delete(leaving!.id);
  return final.filter((s) => remaining.includes(s.id));
}

/** `--keep`: a spare server to join, the command lines to try, and the cluster up until Ctrl-C. */
async function keepUp(cluster: Status[]): Promise<void> {
  const spare = await start('n6');
  const leader = cluster.find((s) => s.state === 'leader')!;
  const followers = cluster.filter((s) => s !== leader);
  const cli = `npx tsx ${relative(process.cwd(), fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)))}`;
  const all = cluster.map((s) => s.address).join(',');
  log(`\n5. the cluster stays up until Ctrl-C: ${cluster.map((s) => `${s.id} at ${s.address}${s === leader ? ' (leader)' : ''}`).join(', ')}`);
  log(`   ${spare.id} runs at ${spare.address} and is not a member: join it from the command line.`);
  log('   Try these in another terminal, from this folder (installed, the command is `raft-membership`;');
  log('   here it runs from source). --target may name any member: a follower sends the request on');
  log(`   to the leader. Or set RAFT_MEMBERSHIP_TARGET=${all} once and leave --target out.\n`);
  log(`     ${cli} members --target ${followers[0]!.address}`);
  log(`     ${cli} join --id ${spare.id} --address ${spare.address} --target ${followers[0]!.address}`);
  log(`     ${cli} members --target ${all} --json`);
  log(`     ${cli} ping --target ${all}`);
  log(`     ${cli} leave --id ${spare.id} --target ${followers.at(-1)!.address}`);
  log('\n   Ctrl-C stops every server.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

const watchdog = setTimeout(() => {
  console.error(`demo failed: did not finish within ${DEMO_DEADLINE_MS / 1000} s`);
  void shutdown(1);
}, DEMO_DEADLINE_MS);

async function shutdown(code: number): Promise<never> {
  clearTimeout(watchdog);
  await Promise.all([...members.values()].map((m) => m.stop()));
  process.exit(code);
}

const interrupted = (): void => void shutdown(130);
process.on('SIGINT', interrupted);
try {
  const began = performance.now();
  const cluster = await tour();
  log(`\ndone in ${((performance.now() - began) / 1000).toFixed(1)} s: ${cluster.length} servers agree on ${cluster.map((s) => s.id).join(', ')}`);
  if (keep) {
    clearTimeout(watchdog);
    process.off('SIGINT', interrupted);
    await keepUp(cluster);
    log('\nstopping every server');
  }
  await shutdown(0);
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).message}`);
  await shutdown(1);
}
