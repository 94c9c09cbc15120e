import { ClusterMember } from '../../../reference/cluster-member.js';
import type { MembershipServerOptions } from '../../../src/index.js';
import { waitFor } from '../../reference/support/cluster.js';

/** Slow enough that a loaded 2-core machine does not start an election in the middle of a run. */
const TIMING = { electionTimeoutMs: 1_500, heartbeatMs: 75 } as const;

/** Three reference raft servers on loopback (n1 leads), each a MembershipServer: what the server cases run against. */
export interface ReferenceCluster {
  readonly leader: ClusterMember;
  readonly followers: readonly ClusterMember[];
  readonly members: readonly ClusterMember[];
  close(): Promise<void>;
}

/**
 * Starts n1 (bootstrapped), joins n2 and n3 through it, and waits until
 * both follow it; `serveMembers` makes every server answer `members`.
 */
export async function referenceCluster(options: { server?: Omit<MembershipServerOptions, 'clusterName' | 'secret'>; serveMembers?: boolean; secret?: string } = {}): Promise<ReferenceCluster> {
  const members: ClusterMember[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.close()));
  };
  try {
    const start = (id: string, bootstrap = false) =>
      ClusterMember.start({ id, bootstrap, ...TIMING, ...(options.server ? { server: options.server } : {}), ...(options.secret ? { secret: options.secret } : {}) });
    const leader = await start('n1', true);
    members.push(leader);
    await waitFor(() => leader.raft.state() === 'leader', 'n1 to lead', 15_000);
    for (const id of ['n2', 'n3']) {
      const member = await start(id);
      members.push(member);
      await member.join(leader.address, 15_000);
    }
    await waitFor(() => members.every((m) => m.raft.leader() === leader.address), 'n2 and n3 to follow n1', 15_000);
    if (options.serveMembers ?? true) for (const m of members) m.server.serveConfiguration(m.raft);
    return { leader, followers: members.slice(1), members, close };
  } catch (err) {
    await close();
    throw err;
  }
}
