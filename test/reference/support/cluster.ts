import { afterEach, beforeEach, expect } from 'vitest';
import { RaftNode, type RaftNodeOptions, type StateChange } from '../../../reference/raft/node.js';
import { MemoryStorage } from '../../../reference/raft/storage.js';
import { TcpStreamLayer } from './tcp-stream-layer.js';

/** Short timeouts keep real elections fast on loopback. */
export const ELECTION_MS = 150;
export const HEARTBEAT_MS = 30;

type Falsy = undefined | null | false;

/** Polls `probe` (which may be async) every 10 ms until it gives something truthy; fails the test after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | Falsy | Promise<T | Falsy>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A node of a test cluster with what a restart would reuse. */
export interface Member {
  readonly node: RaftNode;
  readonly layer: TcpStreamLayer;
  readonly storage: MemoryStorage;
}

/**
 * Real RaftNodes on real loopback layers. Records every leader it sees per
 * term, so that each test can check election safety.
 */
export class TestCluster {
  readonly members = new Map<string, Member>();
  readonly leadersByTerm = new Map<number, string>();
  readonly safetyViolations: string[] = [];
  readonly stateChanges: StateChange[] = [];

  /** Starts server `id` on a fresh port; `bootstrap` makes it a one-voter cluster. */
  async spawn(id: string, options: { bootstrap?: boolean } & Partial<RaftNodeOptions> = {}): Promise<RaftNode> {
    const layer = await TcpStreamLayer.listen();
    const storage = new MemoryStorage();
    const node = new RaftNode({ id, address: layer.address, layer, storage, electionTimeoutMs: ELECTION_MS, heartbeatMs: HEARTBEAT_MS, ...options });
    this.#watch(node);
    if (options.bootstrap) node.bootstrap();
    node.start();
    this.members.set(id, { node, layer, storage });
    return node;
  }

  /** Bootstraps `n0` and adds `n1`..`n{size-1}` as voters through the leader. */
  async build(size: number, timeoutMs = 5000): Promise<RaftNode[]> {
    const nodes = [await this.spawn('n0', { bootstrap: true })];
    await this.waitForLeader(nodes);
    for (let i = 1; i < size; i += 1) {
      const node = await this.spawn(`n${i}`);
      const leader = await this.waitForLeader(nodes);
      await leader.addVoter(node.id, node.address, 0, timeoutMs);
      nodes.push(node);
    }
    await this.waitForAgreement(nodes, nodes.map((n) => n.id));
    return nodes;
  }

  #watch(node: RaftNode): void {
    node.onStateChange((change) => {
      this.stateChanges.push(change);
      if (change.state !== 'leader') return;
      const known = this.leadersByTerm.get(change.term);
      if (known !== undefined && known !== change.id) this.safetyViolations.push(`term ${change.term}: leaders ${known} and ${change.id}`);
      this.leadersByTerm.set(change.term, change.id);
    });
  }

  node(id: string): RaftNode {
    const member = this.members.get(id);
    if (!member) throw new Error(`no member ${id}`);
    return member.node;
  }

  /** The running nodes. */
  live(): RaftNode[] {
    return [...this.members.values()].map((m) => m.node).filter((n) => n.state() !== 'shutdown');
  }

  /** Waits for one leader among `nodes` (default: all live ones) that they all follow. */
  async waitForLeader(nodes: RaftNode[] = this.live(), timeoutMs = 5000): Promise<RaftNode> {
    return waitFor(
      () => {
        const leaders = nodes.filter((n) => n.state() === 'leader');
        if (leaders.length !== 1) return undefined;
        const [leader] = leaders as [RaftNode];
        return nodes.every((n) => n.leader() === leader.address && n.term === leader.term) ? leader : undefined;
      },
      'a single leader followed by all',
      timeoutMs,
    );
  }

  /** Waits until every node in `nodes` has applied the same configuration with all entries up to the leader's commit index. */
  async waitForAgreement(nodes: RaftNode[], expectedIds: string[], timeoutMs = 5000): Promise<void> {
    const want = [...expectedIds].sort().join(',');
    await waitFor(
      () =>
        nodes.every((n) => {
          const ids = n.committedConfiguration().map((s) => s.id).sort().join(',');
          const latest = n.configuration().map((s) => s.id).sort().join(',');
          return ids === want && latest === want;
        }),
      `all of ${nodes.map((n) => n.id).join(',')} to agree on configuration ${want}`,
      timeoutMs,
    );
  }

  /** Closes node `id` but keeps its layer (its address) and storage for {@link restart}. */
  stop(id: string): void {
    this.node(id).close();
  }

  /** A new node in place of the stopped `id`: same address, same durable state. */
  restart(id: string): RaftNode {
    const old = this.members.get(id);
    if (!old || old.node.state() !== 'shutdown') throw new Error(`${id} is not stopped`);
    const node = new RaftNode({ id, address: old.layer.address, layer: old.layer, storage: old.storage, electionTimeoutMs: ELECTION_MS, heartbeatMs: HEARTBEAT_MS });
    this.#watch(node);
    node.start();
    this.members.set(id, { ...old, node });
    return node;
  }

  /** "Kills" a node: closes it and its layer (the storage survives in `members`). */
  async kill(id: string): Promise<void> {
    const member = this.members.get(id);
    if (!member) return;
    member.node.close();
    await member.layer.close();
  }

  async closeAll(): Promise<void> {
    for (const id of this.members.keys()) await this.kill(id);
  }
}

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'];

/**
 * Gives each test a fresh cluster; afterwards closes it, checks that no
 * term had two leaders, and that no socket, server or timer outlived it.
 */
export function useCluster(): () => TestCluster {
  let cluster: TestCluster | undefined;
  let baseline = new Map<string, number>();
  beforeEach(() => {
    baseline = countResources();
    cluster = new TestCluster();
  });
  afterEach(async () => {
    const closing = cluster;
    cluster = undefined;
    if (!closing) return;
    await closing.closeAll();
    expect(closing.safetyViolations).toEqual([]);
    const leftover = await waitFor(
      () => {
        const now = countResources();
        const extra = WATCHED.filter((type) => (now.get(type) ?? 0) > (baseline.get(type) ?? 0));
        return extra.length === 0 ? 'clean' : undefined;
      },
      'sockets, servers and timers to be released',
      2000,
    ).catch((error: Error) => `${error.message}: ${JSON.stringify([...countResources()])} vs ${JSON.stringify([...baseline])}`);
    expect(leftover).toBe('clean');
  });
  return () => {
    if (!cluster) throw new Error('no cluster outside a test');
    return cluster;
  };
}
