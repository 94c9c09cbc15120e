/**
 * The attacked servers as processes: one stand-in server, one reference
 * raft member, or a cluster of five members built by joins. Watches the
 * members' raft terms for leader changes.
 */
import { TsChild } from '../support/child-process.js';
import { Target, type Attack } from './attack.js';
import type { ServerConfig, ServerStatus } from './processes/server.js';

const SERVER_SCRIPT = new URL('./processes/server.ts', import.meta.url);
const CLUSTER_SIZE = 5;
const JOIN_TIMEOUT_MS = 10_000;
const SETTLE_MS = 15_000;

/** The running servers of one attack. */
export class Servers {
  readonly processes: readonly TsChild[];
  readonly addresses: readonly string[];
  readonly #raft: boolean;
  /** The highest raft term any member reported. */
  #maxTerm = 0;

  private constructor(processes: readonly TsChild[], addresses: readonly string[], raft: boolean) {
    this.processes = processes;
    this.addresses = addresses;
    this.#raft = raft;
    for (const child of processes) {
      child.on((message) => {
        if (message.event === 'state') this.#maxTerm = Math.max(this.#maxTerm, Number(message['term']));
      });
    }
  }

  /** Starts the servers `attack` is aimed at, ready to serve (a cluster: one leader, five members agreeing). */
  static async start(attack: Attack): Promise<Servers> {
    const started: TsChild[] = [];
    const launch = (name: string, config: ServerConfig): TsChild => {
      const child = TsChild.start(SERVER_SCRIPT, config, { name, ...(attack.serverFdLimit ? { fdLimit: attack.serverFdLimit } : {}) });
      started.push(child);
      return child;
    };
    try {
      if (attack.target === Target.StandIn) {
        const child = launch('server', { kind: 'stand-in', members: attack.standIn?.members ?? 0, idBytes: attack.standIn?.idBytes ?? 8 });
        return new Servers([child], [String((await child.ready)['address'])], false);
      }
      const size = attack.target === Target.Cluster ? CLUSTER_SIZE : 1;
      const children = Array.from({ length: size }, (_, i) => launch(`n${i + 1}`, { kind: 'member', id: `n${i + 1}`, bootstrap: i === 0 }));
      const addresses = (await Promise.all(children.map((c) => c.ready))).map((r) => String(r['address']));
      const servers = new Servers(children, addresses, true);
      for (const child of children.slice(1)) await child.ask('join', { targets: addresses, timeoutMs: JOIN_TIMEOUT_MS }, JOIN_TIMEOUT_MS + 1_000);
      await servers.#settle(size);
      return servers;
    } catch (err) {
      await Promise.all(started.map((c) => c.stop()));
      throw err;
    }
  }

  /** The highest term reported so far; undefined for a stand-in (no raft). */
  get term(): number | undefined {
    return this.#raft ? this.#maxTerm : undefined;
  }

  /** Asks every server for its event loop's worst delay since the last ask (ms); the largest, or NaN if one did not answer. */
  async loopDelay(): Promise<number> {
    const delays = await Promise.all(this.processes.map((c) => c.ask<number>('loop', {}, 5_000).catch(() => Number.NaN)));
    return Math.max(...delays);
  }

  /** Kills every server process. */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((c) => c.stop()));
  }

  /** Waits until every member has all `size` members in its configuration and all name the same leader. */
  async #settle(size: number): Promise<void> {
    const until = Date.now() + SETTLE_MS;
    for (;;) {
      const statuses = await Promise.all(this.processes.map((c) => c.ask<ServerStatus>('status')));
      const leaders = new Set(statuses.map((s) => s.leaderId));
      this.#maxTerm = Math.max(this.#maxTerm, ...statuses.map((s) => s.term));
      if (statuses.every((s) => s.configuration.length === size) && leaders.size === 1 && !leaders.has('')) return;
      if (Date.now() > until) throw new Error(`the cluster did not settle: ${JSON.stringify(statuses)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
