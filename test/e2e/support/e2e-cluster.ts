/**
 * End-to-end harness: real ClusterMembers (MembershipServer + TcpChanger +
 * reference RaftNode on one loopback port each), started, killed and
 * restarted like processes would be. Nothing is mocked.
 */
import { expect } from 'vitest';
import { TcpChanger, type ConfigurationServer, type ServerAddress, type ServerID } from '../../../src/index.js';
import { ClusterMember, type ClusterMemberOptions } from '../../../reference/cluster-member.js';
import { MemoryStorage } from '../../../reference/raft/storage.js';
import { useCleanup } from '../../support/cleanup.js';
import { waitFor } from '../../reference/support/cluster.js';

export { waitFor };
export { prng } from '../../support/prng.js';

/** Generous bound on any wait: long enough for a slow 2-core CI, short enough to report a hang. */
export const WAIT_MS = 10_000;

/** A client redirected from a follower to the leader, as its TcpChanger reported it. */
export interface Redirect {
  readonly id: ServerID;
  readonly from: string;
  readonly leader: string;
}

/** `servers` as one comparable string: sorted "id@address". */
export function describeServers(servers: readonly ConfigurationServer[]): string {
  return servers
    .map((s) => `${s.id}@${s.address}${s.role === 'voter' ? '' : `(${s.role})`}`)
    .sort()
    .join(',');
}

/** The ids of `servers`, sorted. */
export function idsOf(servers: readonly ConfigurationServer[]): string[] {
  return servers.map((s) => s.id).sort();
}

/** What a test adds to each member's options: e.g. fault proxies in front of it and on its way to the others. */
export type MemberHooks = (id: ServerID) => Pick<ClusterMemberOptions, 'advertise' | 'route' | 'electionTimeoutMs' | 'heartbeatMs'>;

/**
 * A cluster of ClusterMembers. Every incarnation ever started is watched
 * for election safety: at most one leader per term, across restarts.
 */
export class E2ECluster {
  /** The current incarnation of each id, running or killed. */
  readonly members = new Map<ServerID, ClusterMember>();
  /** Every incarnation ever started, for closing and for the final checks. */
  readonly incarnations: ClusterMember[] = [];
  readonly leadersByTerm = new Map<number, ServerID>();
  readonly safetyViolations: string[] = [];
  readonly redirects: Redirect[] = [];
  readonly #storages = new Map<ServerID, MemoryStorage>();
  readonly #ports = new Map<ServerID, number>();
  readonly #killed = new Set<ClusterMember>();
  /** Whatever a test opened beside the members, closed after them. */
  readonly #closers: (() => unknown)[] = [];
  readonly #hooks: MemberHooks | undefined;

  constructor(hooks?: MemberHooks) {
    this.#hooks = hooks;
  }

  /** Starts server `id` with a fresh storage on a free port; `bootstrap` makes it a one-voter cluster. */
  async start(id: ServerID, options: { bootstrap?: boolean; port?: number } = {}): Promise<ClusterMember> {
    if (this.#storages.has(id)) throw new Error(`${id} was started before: restart() it`);
    const storage = new MemoryStorage();
    this.#storages.set(id, storage);
    return this.#launch(id, storage, options.port ?? 0, options.bootstrap ?? false);
  }

  /**
   * Bootstraps `n1` and joins `n2`..`n{size}` one by one through the
   * leader; resolves once all agree on the configuration.
   */
  async build(size: number): Promise<ClusterMember[]> {
    const members = [await this.start('n1', { bootstrap: true })];
    for (let i = 2; i <= size; i += 1) {
      const leader = await this.waitForLeader();
      const member = await this.start(`n${i}`);
      await member.join(leader.address, WAIT_MS);
      members.push(member);
    }
    await this.waitForAgreement(members, (await this.waitForLeader()).raft.configuration());
    return members;
  }

  /** A client of its own (closed with the cluster), e.g. to claim `address` for another id. */
  changer(address: ServerAddress): TcpChanger {
    const changer = new TcpChanger({ address });
    this.onClose(() => changer.close());
    return changer;
  }

  /** Runs `close` (and awaits it) once the members are closed, after the test, pass or fail. */
  onClose(close: () => unknown): void {
    this.#closers.push(close);
  }

  /** Stops server `id` as a crash would: raft, server and client closed; storage and port kept. */
  async kill(id: ServerID): Promise<void> {
    const member = this.member(id);
    this.#killed.add(member);
    await member.close();
  }

  /**
   * A new ClusterMember in place of the killed `id`: same durable storage,
   * and the same port unless `port` is given (0: a new free one, i.e. a new
   * address).
   */
  async restart(id: ServerID, port = this.#ports.get(id)): Promise<ClusterMember> {
    const storage = this.#storages.get(id);
    if (!storage || port === undefined) throw new Error(`${id} was never started`);
    if (this.isLive(id)) throw new Error(`${id} is running: kill() it first`);
    return this.#launch(id, storage, port, false);
  }

  member(id: ServerID): ClusterMember {
    const member = this.members.get(id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }

  isLive(id: ServerID): boolean {
    const member = this.members.get(id);
    return member !== undefined && !this.#killed.has(member);
  }

  /** The running members. */
  live(): ClusterMember[] {
    return [...this.members.values()].filter((m) => !this.#killed.has(m));
  }

  /**
   * Waits until exactly one of `among` leads and every live member of its
   * configuration follows it in its term; resolves to the leader.
   */
  waitForLeader(among: () => ClusterMember[] = () => this.live(), timeoutMs = WAIT_MS): Promise<ClusterMember> {
    return waitFor(
      () => {
        const members = among();
        const leaders = members.filter((m) => m.raft.state() === 'leader');
        if (leaders.length !== 1) return undefined;
        const leader = leaders[0]!;
        const inConfig = new Set(idsOf(leader.raft.configuration()));
        const voters = members.filter((m) => inConfig.has(m.id));
        return voters.every((m) => m.raft.leader() === leader.address && m.raft.term === leader.raft.term) ? leader : undefined;
      },
      'a single leader followed by every live member of its configuration',
      timeoutMs,
    ).catch((error: Error) => {
      // Say who stood where: a bare timeout tells nothing about why.
      const states = among().map((m) => `${m.id}@${m.address}: ${m.raft.state()} term ${m.raft.term}, leader ${m.raft.leader() || 'none'}, members ${idsOf(m.raft.configuration()).join(',')}`);
      throw new Error(`${error.message}; ${states.join('; ')}`, { cause: error });
    });
  }

  /**
   * Waits until each of `members` has `expected` (ids and addresses) as both
   * its latest and its committed configuration, at the same configuration
   * index.
   */
  async waitForAgreement(members: readonly ClusterMember[], expected: readonly ConfigurationServer[], timeoutMs = WAIT_MS): Promise<void> {
    const want = describeServers(expected);
    await waitFor(
      () => {
        const indexes = new Set(members.map((m) => m.raft.configurationIndex));
        return (
          indexes.size === 1 &&
          members.every((m) => describeServers(m.raft.configuration()) === want && describeServers(m.raft.committedConfiguration()) === want)
        );
      },
      `${members.map((m) => m.id).join(',')} to agree on ${want}`,
      timeoutMs,
    ).catch((error: Error) => {
      const seen = members.map((m) => `${m.id}: #${m.raft.configurationIndex} ${describeServers(m.raft.committedConfiguration())}`);
      throw new Error(`${error.message}; seen ${seen.join(' | ')}`);
    });
  }

  /** Waits until each of `members` has stored and committed the log up to `index`. */
  async waitForLog(members: readonly ClusterMember[], index: number, timeoutMs = WAIT_MS): Promise<void> {
    await waitFor(
      () => members.every((m) => m.raft.lastIndex >= index && m.raft.commitIndex >= index),
      `${members.map((m) => m.id).join(',')} to commit up to index ${index}`,
      timeoutMs,
    );
  }

  /**
   * Waits for a leader whose configuration is committed and for every live
   * member of it to hold that same committed configuration at the same
   * index; resolves to the leader and the configuration.
   */
  async waitForConvergence(timeoutMs = WAIT_MS): Promise<{ leader: ClusterMember; servers: ConfigurationServer[] }> {
    return waitFor(
      () => {
        const leader = this.live().find((m) => m.raft.state() === 'leader');
        if (!leader) return undefined;
        const servers = leader.raft.configuration();
        const want = describeServers(servers);
        if (describeServers(leader.raft.committedConfiguration()) !== want) return undefined;
        const inConfig = new Set(idsOf(servers));
        const voters = this.live().filter((m) => inConfig.has(m.id));
        const agreed = voters.every(
          (m) =>
            m.raft.leader() === leader.address &&
            m.raft.configurationIndex === leader.raft.configurationIndex &&
            describeServers(m.raft.committedConfiguration()) === want,
        );
        return agreed ? { leader, servers } : undefined;
      },
      'the live members of the leader\'s configuration to commit it',
      timeoutMs,
    );
  }

  /** Closes every incarnation; the election-safety record stays readable. */
  async closeAll(): Promise<void> {
    await Promise.all(this.incarnations.map((m) => m.close()));
    for (const member of this.incarnations) this.#killed.add(member);
    for (const close of this.#closers.splice(0)) await close();
  }

  async #launch(id: ServerID, storage: MemoryStorage, port: number, bootstrap: boolean): Promise<ClusterMember> {
    const member = await this.#listen(id, storage, port, bootstrap);
    this.incarnations.push(member);
    this.members.set(id, member);
    this.#ports.set(id, Number(member.listenAddress.slice(member.listenAddress.lastIndexOf(':') + 1)));
    this.#watch(member);
    return member;
  }

  /**
   * A port just freed can be taken for a moment by an outgoing connection's
   * ephemeral end; a restart retries for a bounded time rather than fail.
   */
  async #listen(id: ServerID, storage: MemoryStorage, port: number, bootstrap: boolean): Promise<ClusterMember> {
    const deadline = Date.now() + 3_000;
    for (;;) {
      try {
        return await ClusterMember.start({
          ...this.#hooks?.(id),
          id,
          port,
          storage,
          bootstrap,
          client: {
            logger: {
              debug: (fields, message) => {
                if (message === 'redirected to the leader') {
                  this.redirects.push({ id, from: String(fields?.['from']), leader: String(fields?.['leader']) });
                }
              },
            },
          },
        });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  #watch(member: ClusterMember): void {
    member.raft.onStateChange((change) => {
      if (change.state !== 'leader') return;
      const known = this.leadersByTerm.get(change.term);
      if (known !== undefined && known !== change.id) this.safetyViolations.push(`term ${change.term}: leaders ${known} and ${change.id}`);
      this.leadersByTerm.set(change.term, change.id);
    });
  }
}

/**
 * Gives each test a fresh cluster; afterwards closes every member it ever
 * started, checks election safety, and (through useCleanup) that no socket,
 * server or timer outlived it.
 */
export function useE2ECluster(hooks?: MemberHooks): () => E2ECluster {
  const use = useCleanup();
  let cluster: E2ECluster | undefined;
  return () => {
    if (cluster) return cluster;
    cluster = use(new E2ECluster(hooks), async (closing) => {
      cluster = undefined;
      await closing.closeAll();
      expect(closing.safetyViolations, 'two leaders in one term').toEqual([]);
    });
    return cluster;
  };
}
