/**
 * `raft-member ID bootstrap|voter|joiner ELECTION_MS HEARTBEAT_MS`: one raft
 * server in its own process, a reference `ClusterMember` (MembershipServer,
 * TcpChanger and the reference raft with MemoryStorage on one loopback port).
 * Commands: `status`; `join` (this server joins through `targets`);
 * `restart` (a voter closes its server and starts a new, empty one in this
 * process, its code already compiled: a fresh cluster, a short log; with
 * `disk`, its raft state in a new directory of its own, `FileStorage`).
 * A `joiner` process starts no server of its own: on `cycle` it starts a
 * fresh one (ids ID-1, ID-2…), times its join and leave through `target`,
 * closes it, and again, for the budget (with `disk`, each in a new
 * directory, removed once it is closed; not timed).
 * Every process also runs a node of the floor (`bench/raft-floor.ts`):
 * `floorLead` makes it the floor's leader, `floorCycle` times floor joins
 * and leaves from the joiner's process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterMember, type ClusterMemberOptions } from '../../reference/cluster-member.js';
import { FloorNode, floorCycles } from '../raft-floor.js';
import { joinLeaveCycles, type Joiner } from '../raft-cycle.js';
import { serveCommands } from './child.js';
import { BENCH_SERVER_OPTIONS } from '../support.js';

/** A member's view of the cluster. */
export interface MemberStatus {
  readonly state: string;
  readonly leader: string;
  /** The end of its log. */
  readonly lastIndex: number;
}

const [id, mode, election, heartbeat] = process.argv.slice(2);
if (!id || !['bootstrap', 'voter', 'joiner'].includes(mode ?? '')) throw new Error('usage: raft-member ID bootstrap|voter|joiner ELECTION_MS HEARTBEAT_MS');
const timings = { electionTimeoutMs: Number(election), heartbeatMs: Number(heartbeat) };
/** A server, and how to close it (and remove its directory). */
interface Server extends Joiner {
  readonly member: ClusterMember;
}

/**
 * A server whose raft state is in memory, or (`disk`) in a new directory
 * on this machine's disk (os.tmpdir() is not a tmpfs here), removed once
 * the server is closed.
 */
async function startServer(options: ClusterMemberOptions, disk: boolean): Promise<Server> {
  const dataDir = disk ? mkdtempSync(join(tmpdir(), `raft-bench-${options.id}-`)) : undefined;
  const member = await ClusterMember.start({ ...options, server: BENCH_SERVER_OPTIONS, ...(dataDir ? { dataDir } : {}) });
  return {
    member,
    join: (target, timeoutMs) => member.join(target, timeoutMs),
    leave: (target, timeoutMs) => member.leave(target, timeoutMs),
    close: async () => {
      await member.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const startMember = (disk = false): Promise<Server> => startServer({ id, bootstrap: mode === 'bootstrap', ...timings }, disk);
let server = mode === 'joiner' ? undefined : await startMember();
const started = (): ClusterMember => {
  if (!server) throw new Error('a joiner runs no server between cycles');
  return server.member;
};
let joiners = 0;
const floor = await FloorNode.listen();

serveCommands({
  ready: () => server?.member.address ?? '',
  status: (): MemberStatus => ({ state: started().raft.state(), leader: started().raft.leader(), lastIndex: started().raft.lastIndex }),
  join: async (command) => {
    await started().join(command.targets as string[], 10_000);
  },
  restart: async (command) => {
    started();
    await server?.close();
    server = await startMember(command.disk === true);
    return server.member.address;
  },
  cycle: (command) =>
    joinLeaveCycles(() => startServer({ id: `${id}-${++joiners}`, ...timings }, command.disk === true), command.target as string, {
      iterations: command.iterations as number,
      ms: command.ms as number,
    }),
  floorAddress: () => floor.address,
  floorLead: (command) => floor.lead(command.followers as string[]),
  floorCycle: (command) => floorCycles(floor, command.target as string, { iterations: command.iterations as number, ms: command.ms as number }),
  exit: async () => {
    await server?.close();
    await floor.close();
  },
});
