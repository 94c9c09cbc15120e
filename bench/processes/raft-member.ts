/**
 * `raft-member ID bootstrap|voter|joiner ELECTION_MS HEARTBEAT_MS`: one raft
 * server in its own process, a reference `ClusterMember` (MembershipServer,
 * TcpChanger and the reference raft with MemoryStorage on one loopback port).
 * Commands: `status`; `join` (this server joins through `targets`).
 * A `joiner` process starts no server of its own: on `cycle` it starts a
 * fresh one (ids ID-1, ID-2…), times its join and leave through `target`,
 * closes it, and again, for the budget.
 */
import { ClusterMember } from '../../reference/cluster-member.js';
import { joinLeaveCycles } from '../raft-cycle.js';
import { serveCommands } from './child.js';

/** A member's view of the cluster. */
export interface MemberStatus {
  readonly state: string;
  readonly leader: string;
}

const [id, mode, election, heartbeat] = process.argv.slice(2);
if (!id || !['bootstrap', 'voter', 'joiner'].includes(mode ?? '')) throw new Error('usage: raft-member ID bootstrap|voter|joiner ELECTION_MS HEARTBEAT_MS');
const timings = { electionTimeoutMs: Number(election), heartbeatMs: Number(heartbeat) };
const member = mode === 'joiner' ? undefined : await ClusterMember.start({ id, bootstrap: mode === 'bootstrap', ...timings });
const started = (): ClusterMember => {
  if (!member) throw new Error('a joiner runs no server between cycles');
  return member;
};
let joiners = 0;

serveCommands({
  ready: () => member?.address ?? '',
  status: (): MemberStatus => ({ state: started().raft.state(), leader: started().raft.leader() }),
  join: async (command) => {
    await started().join(command.targets as string[], 10_000);
  },
  cycle: (command) =>
    joinLeaveCycles(() => ClusterMember.start({ id: `${id}-${++joiners}`, ...timings }), command.target as string, {
      iterations: command.iterations as number,
      ms: command.ms as number,
    }),
  exit: () => member?.close(),
});
