/**
 * `npm run demo`: a raft cluster of separate Node processes on loopback.
 * One server bootstraps, four join through TcpChanger (some through
 * followers, which redirect them to the leader), the leader leaves and a new
 * one takes over, then another server leaves. Each step is checked: every
 * live server must agree on the configuration. Exits 0 on success, 1 with
 * the reason on failure, and leaves no process behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Reply, Status } from './protocol.js';

/** A command before the conductor numbers it. */
type Unnumbered = Command extends infer C ? (C extends Command ? Omit<C, 'seq'> : never) : never;

const DEMO_DEADLINE_MS = 50_000;
const STEP_TIMEOUT_MS = 15_000;
const memberScript = fileURLToPath(new URL('./member.ts', import.meta.url));

/** One member process and its request/reply channel. */
class MemberProcess {
  readonly id: string;
  address = '';
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  #seq = 0;

  constructor(id: string, bootstrap: boolean) {
    this.id = id;
    this.#child = fork(memberScript, bootstrap ? [id, 'bootstrap'] : [id], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} did not start within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${id} exited with code ${code} before it was ready`));
      });
      this.#child.on('message', (reply: Reply) => {
        if (reply.op === 'ready') {
          clearTimeout(timer);
          this.address = reply.address;
          resolve();
          return;
        }
        this.#waiting.get(reply.seq)?.(reply);
      });
    });
  }

  /** Sends a command; resolves to its reply, or rejects after the step timeout. */
  ask(command: Unnumbered): Promise<Reply> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        reject(new Error(`${this.id} did not answer ${command.op} within ${STEP_TIMEOUT_MS} ms`));
      }, STEP_TIMEOUT_MS);
      this.#waiting.set(seq, (reply) => {
        clearTimeout(timer);
        this.#waiting.delete(seq);
        resolve(reply);
      });
      this.#child.send({ ...command, seq } as Command);
    });
  }

  async status(): Promise<Status> {
    const reply = await this.ask({ op: 'status' });
    if (reply.op !== 'status') throw new Error(`${this.id}: unexpected reply ${reply.op}`);
    return reply.status;
  }

  /** Asks the member to stop (it closes its server and exits); kills it if it does not in time. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const members = new Map<string, MemberProcess>();

function log(line: string): void {
  console.log(line);
}

async function start(id: string, bootstrap = false): Promise<MemberProcess> {
  const member = new MemberProcess(id, bootstrap);
  members.set(id, member);
  await member.ready;
  log(`  started ${id} at ${member.address}${bootstrap ? ' (bootstrapped a new cluster)' : ''}`);
  return member;
}

async function change(member: MemberProcess, op: 'join' | 'leave', via: MemberProcess[]): Promise<void> {
  const targets = via.map((m) => m.address);
  const reply = await member.ask({ op, targets });
  if (reply.op === 'failed') throw new Error(`${op} of ${member.id} failed: ${reply.error}`);
  if (reply.op !== 'done') throw new Error(`${op} of ${member.id}: unexpected reply ${reply.op}`);
  log(`  ${member.id} ${op === 'join' ? 'joined' : 'left'} via ${via.map((m) => m.id).join(', ')} in ${reply.ms.toFixed(1)} ms, configuration index ${reply.index ?? '?'}`);
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

async function main(): Promise<void> {
  const began = performance.now();
  log('raft-membership demo: five raft servers, one process each, on loopback\n');

  log('1. n1 bootstraps a cluster and elects itself');
  const n1 = await start('n1', true);
  printTable(await settle(['n1'], 'bootstrap'));

  log('\n2. n2..n5 start and join: n2 through the leader, the others through followers (redirected to the leader)');
  const n2 = await start('n2');
  await change(n2, 'join', [n1]);
  const n3 = await start('n3');
  await change(n3, 'join', [n2]);
  const n4 = await start('n4');
  await change(n4, 'join', [n3]);
  const n5 = await start('n5');
  await change(n5, 'join', [n4, n2]);
  printTable(await settle(['n1', 'n2', 'n3', 'n4', 'n5'], 'after the joins'));

  log('\n3. the leader, n1, leaves; leadership passes to another server');
  await change(n1, 'leave', [n1]);
  const after = await settle(['n2', 'n3', 'n4', 'n5'], 'after the leader left');
  const newLeader = after.find((s) => s.state === 'leader' && s.id !== 'n1');
  if (!newLeader) throw new Error('no new leader took over');
  printTable(after);
  log(`  new leader: ${newLeader.id}`);
  await n1.stop();
  members.delete('n1');
  log('  n1 stopped');

  const follower = after.find((s) => s.state !== 'leader' && s.id !== 'n1' && s.configuration.some((c) => c.id === s.id))!;
  const leaving = members.get(follower.id)!;
  log(`\n4. ${leaving.id}, a follower, leaves through ${n5 === leaving ? n2.id : n5.id}`);
  await change(leaving, 'leave', [n5 === leaving ? n2 : n5]);
  const remaining = ['n2', 'n3', 'n4', 'n5'].filter((id) => id !== leaving.id);
  printTable(await settle(remaining, `after ${leaving.id} left`));
  await leaving.stop();
  members.delete(leaving.id);

  log(`\ndone in ${((performance.now() - began) / 1000).toFixed(1)} s: ${remaining.length} servers agree on ${remaining.join(', ')}`);
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

process.on('SIGINT', () => void shutdown(130));
try {
  await main();
  await shutdown(0);
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).message}`);
  await shutdown(1);
}
