/**
 * `raft-member ID bootstrap|voter|joiner ELECTION_MS HEARTBEAT_MS`: one raft
 * server in its own process, a reference `ClusterMember` (MembershipServer,
 * TcpChanger and the reference raft with MemoryStorage on one loopback port).
 * Commands: `status`; `join` (this server joins through `targets`);
 * `restart` (a voter closes its server and starts a new, empty one in this
 * process, its code already compiled: a fresh cluster, a short log).
 * A `joiner` process starts no server of its own: on `cycle` it starts a
 * fresh one (ids ID-1, ID-2…), times its join and leave through `target`,
 * closes it, and again, for the budget.
 * Every process also runs a node of the floor (`bench/raft-floor.ts`):
 * `floorLead` makes it the floor's leader, `floorCycle` times floor joins
 * and leaves from the joiner's process.
 */
import { ClusterMember } from '../../reference/cluster-member.js';
import { FloorNode, floorCycles } from '../raft-floor.js';
import { joinLeaveCycles } from '../raft-cycle.js';
import { serveCommands } from './child.js';

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
const startMember = (): Promise<ClusterMember> => ClusterMember.start({ id, bootstrap: mode === 'bootstrap', ...timings });
let member = mode === 'joiner' ? undefined : await startMember();
const started = (): ClusterMember => {
  if (!member) throw new Error('a joiner runs no server between cycles');
  return member;
};
let joiners = 0;
const floor = await FloorNode.listen();

serveCommands({
  ready: () => member?.address ?? '',
  status: (): MemberStatus => ({ state: started().raft.state(), leader: started().raft.leader(), lastIndex: started().raft.lastIndex }),
  join: async (command) => {
    await started().join(command.targets as string[], 10_000);
  },
  restart: async () => {
    await started().close();
    member = await startMember();
    return member.address;
  },
  cycle: (command) =>
    joinLeaveCycles(() => ClusterMember.start({ id: `${id}-${++joiners}`, ...timings }), command.target as string, {
      iterations: command.iterations as number,
      ms: command.ms as number,
    }),
  floorAddress: () => floor.address,
  floorLead: (command) => floor.lead(command.followers as string[]),
  floorCycle: (command) => floorCycles(floor, command.target as string, { iterations: command.iterations as number, ms: command.ms as number }),
  exit: async () => {
    await member?.close();
    await floor.close();
  },
});
