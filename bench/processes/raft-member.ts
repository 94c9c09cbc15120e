/**
 * `raft-member ID [bootstrap] ELECTION_MS HEARTBEAT_MS`: one raft server in
 * its own process, a reference `ClusterMember` (MembershipServer, TcpChanger
 * and the reference raft with MemoryStorage on one loopback port).
 * Commands: `status`; `join` (this server joins through `targets`);
 * `cycle` (joins and leaves through `target` for a budget, timing each).
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
if (!id) throw new Error('usage: raft-member ID bootstrap|join ELECTION_MS HEARTBEAT_MS');
const member = await ClusterMember.start({
  id,
  bootstrap: mode === 'bootstrap',
  electionTimeoutMs: Number(election),
  heartbeatMs: Number(heartbeat),
});

serveCommands({
  ready: () => member.address,
  status: (): MemberStatus => ({ state: member.raft.state(), leader: member.raft.leader() }),
  join: async (command) => {
    await member.join(command.targets as string[], 10_000);
  },
  cycle: (command) => joinLeaveCycles(member, command.target as string, { iterations: command.iterations as number, ms: command.ms as number }),
  exit: () => member.close(),
});
