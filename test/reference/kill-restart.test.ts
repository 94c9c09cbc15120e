import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TcpChanger } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { prng } from '../support/prng.js';
import { waitFor } from './support/cluster.js';
import { MemberProcess } from './support/member-processes.js';

/** Replay with KILL_SEED=<seed> npx vitest run test/reference/kill-restart.test.ts */
const SEED = Number(process.env.KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 4;
const ACKED_BEFORE_KILL = 25;
const OP_MS = 3000;
const WAIT_MS = 20_000;

/** What the clients were told, per id: joined (the join was acknowledged) or left; and which leaves were tried. */
class Ledger {
  readonly joined = new Set<string>();
  readonly leaving = new Set<string>();
  readonly left = new Set<string>();
  acked = 0;
  maxIndex = 0;

  ack(index: number | undefined): void {
    this.acked += 1;
    this.maxIndex = Math.max(this.maxIndex, index ?? 0);
  }
}

describe('a durable ClusterMember killed with SIGKILL', () => {
  const cleanup = useCleanup();

  it(`keeps every acknowledged change when every server is killed mid-churn and restarted (seed ${SEED})`, { timeout: 120_000 }, async () => {
    console.log(`kill-restart test: KILL_SEED=${SEED}`);
    const random = prng(SEED);
    const root = cleanup(mkdtempSync(join(tmpdir(), 'raft-kill-')), (dir) => rmSync(dir, { recursive: true, force: true }));
    const processes = new Set<MemberProcess>();
    cleanup(processes, async (all) => {
      for (const p of all) await p.kill();
    });
    const start = async (id: string, port: number, bootstrap = false): Promise<MemberProcess> => {
      const member = await MemberProcess.start(id, port, join(root, id), bootstrap);
      processes.add(member);
      return member;
    };
    const leaderOf = async (members: MemberProcess[]): Promise<MemberProcess> => {
      let found: MemberProcess | undefined;
      await waitFor(
        async () => {
          const statuses = await Promise.all(members.map((m) => m.status()));
          const leaders = members.filter((_, i) => statuses[i]!.state === 'leader');
          found = leaders.length === 1 && statuses.every((s) => s.leader === leaders[0]!.address) ? leaders[0] : undefined;
          return found;
        },
        'a leader that every member follows',
        WAIT_MS,
      );
      return found!;
    };

    // Three voters, each in its own process with its own data directory.
    const n1 = await start('n1', 0, true);
    await leaderOf([n1]);
    const members = [n1];
    for (const id of ['n2', 'n3']) {
      const member = await start(id, 0);
      const changer = cleanup(new TcpChanger({ address: member.address }), (c) => c.close());
      await changer.join(id, n1.address, WAIT_MS);
      members.push(member);
    }
    await leaderOf(members);
    const seeds = members.map((m) => m.address);

    // Churn: non-voters join (each at an address of its own) and some leave again.
    const ledger = new Ledger();
    const changers = new Set<TcpChanger>();
    cleanup(changers, (all) => all.forEach((c) => c.close()));
    const leaver = cleanup(new TcpChanger(), (c) => c.close());
    const leavable: string[] = [];
    let next = 0;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop) {
        try {
          if (leavable.length > 2 && random() < 0.3) {
            const id = leavable.splice(Math.floor(random() * leavable.length), 1)[0]!;
            ledger.leaving.add(id);
            ledger.ack(await leaver.leave(id, seeds, OP_MS));
            ledger.left.add(id);
          } else {
            const n = next++;
            const changer = new TcpChanger({ address: `127.1.${n >> 8}.${n & 255}:9` });
            changers.add(changer);
            const index = await changer.join(`x${n}`, seeds, { timeoutMs: OP_MS, role: 'nonvoter' }).finally(() => {
              changer.close();
              changers.delete(changer);
            });
            ledger.ack(index);
            ledger.joined.add(`x${n}`);
            leavable.push(`x${n}`);
          }
        } catch {
          // Around the kill: the outcome is unknown, and either is allowed.
        }
      }
    };
    const workers = Array.from({ length: WORKERS }, () => worker());
    await waitFor(() => ledger.acked >= ACKED_BEFORE_KILL, `${ACKED_BEFORE_KILL} acknowledged changes`, WAIT_MS);
    // Kill every server at once, with changes in flight: what was acknowledged must be on their disks.
    await Promise.all(members.map((m) => m.kill()));
    stop = true;
    leaver.close();
    for (const changer of changers) changer.close();
    await Promise.all(workers);
    expect(ledger.acked).toBeGreaterThanOrEqual(ACKED_BEFORE_KILL);
    console.log(`acked ${ledger.acked}: ${ledger.joined.size} joins, ${ledger.left.size} leaves, up to index ${ledger.maxIndex}; ${next} joins tried`);

    const again = await Promise.all(members.map((m) => start(m.id, m.port)));
    expect(again.map((m) => m.address)).toEqual(seeds);
    const leader = await leaderOf(again);
    const status = await leader.status();
    const ids = new Set(status.configuration.map((s) => s.id));
    // A leave in flight at the kill may or may not have happened.
    const missing = [...ledger.joined].filter((id) => !ledger.leaving.has(id) && !ids.has(id));
    const back = [...ledger.left].filter((id) => ids.has(id));
    expect({ missing, back }).toEqual({ missing: [], back: [] });
    expect(['n1', 'n2', 'n3'].every((id) => ids.has(id))).toBe(true);
    expect(status.configurationIndex).toBeGreaterThanOrEqual(ledger.maxIndex);
    // The restarted servers agree, and go on committing.
    const joiner = cleanup(new TcpChanger({ address: '127.2.0.1:9' }), (c) => c.close());
    await joiner.join('after', seeds, { timeoutMs: WAIT_MS, role: 'nonvoter' });
    await waitFor(
      async () => {
        const statuses = await Promise.all(again.map((m) => m.status()));
        return statuses.every((s) => s.configuration.some((server) => server.id === 'after') && s.commitIndex === statuses[0]!.commitIndex);
      },
      'the restarted servers to agree',
      WAIT_MS,
    );
  });
});
