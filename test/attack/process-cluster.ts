/**
 * A raft cluster of ClusterMember processes (processes/server.ts), one per
 * server, that a test can `kill -9` and restart on the same port with the
 * same data directory, or stop (SIGSTOP) and continue. Watches the terms
 * the members report.
 */
import { join } from 'node:path';
import { TsChild } from '../support/child-process.js';
import type { ServerConfig, ServerStatus } from './processes/server.js';

const SERVER_SCRIPT = new URL('./processes/server.ts', import.meta.url);
const JOIN_TIMEOUT_MS = 10_000;
const SETTLE_MS = 15_000;

/** One server: its current process (if any) and what a restart needs. */
interface Seat {
  child: TsChild;
  readonly port: number;
  readonly address: string;
  stopped: boolean;
}

/** Options of {@link ProcessCluster.build}. */
export interface ProcessClusterOptions {
  /** Servers n1..n{size}. */
  readonly size: number;
  /** Each server keeps its raft state in `<dataDir>/<id>` (and comes back with it when restarted); in memory without. */
  readonly dataDir?: string;
  /** The server processes' open-file limit. */
  readonly fdLimit?: number;
}

export class ProcessCluster {
  readonly #seats = new Map<string, Seat>();
  readonly #options: ProcessClusterOptions;
  /** The highest term any member reported. */
  #maxTerm = 0;

  private constructor(options: ProcessClusterOptions) {
    this.#options = options;
  }

  /**
   * Starts n1 (bootstrapped) and the others at once, joins n2..n{size} one
   * by one through n1, and waits until all agree on one leader and on the
   * whole configuration. Kills whatever it started if that fails.
   */
  static async build(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(options);
    try {
      const ids = Array.from({ length: options.size }, (_, i) => `n${i + 1}`);
      await Promise.all(ids.map((id, i) => cluster.#launch(id, i === 0)));
      for (const id of ids.slice(1)) await cluster.seat(id).child.ask('join', { targets: cluster.addresses, timeoutMs: JOIN_TIMEOUT_MS }, JOIN_TIMEOUT_MS + 1_000);
      await cluster.settle((statuses) => statuses.every((s) => s.configuration.length === options.size));
      return cluster;
    } catch (err) {
      await cluster.stopAll();
      throw err;
    }
  }

  get ids(): string[] {
    return [...this.#seats.keys()];
  }

  /** Every server's address (stable across restarts). */
  get addresses(): string[] {
    return [...this.#seats.values()].map((s) => s.address);
  }

  /** The current processes, in id order. */
  get processes(): TsChild[] {
    return [...this.#seats.values()].map((s) => s.child);
  }

  /** The highest raft term reported so far, by any incarnation. */
  get maxTerm(): number {
    return this.#maxTerm;
  }

  seat(id: string): Seat {
    const seat = this.#seats.get(id);
    if (!seat) throw new Error(`no server ${id}`);
    return seat;
  }

  /** `kill -9` of server `id`'s process group. */
  async kill(id: string): Promise<void> {
    await this.seat(id).child.stop();
  }

  /** Starts server `id` again on its port, with its data directory. */
  async restart(id: string): Promise<void> {
    const seat = this.seat(id);
    if (seat.child.alive) throw new Error(`${id} is still running`);
    await this.#launch(id, false, seat.port);
  }

  /** SIGSTOP: the process holds its sockets and answers nothing. */
  pause(id: string): void {
    const seat = this.seat(id);
    seat.child.kill('SIGSTOP');
    seat.stopped = true;
  }

  /** SIGCONT after {@link pause}. */
  resume(id: string): void {
    const seat = this.seat(id);
    seat.child.kill('SIGCONT');
    seat.stopped = false;
  }

  /** The status of every server that answers within `timeoutMs` (stopped and killed ones do not). */
  async statuses(timeoutMs = 1_000): Promise<ServerStatus[]> {
    const answers = await Promise.all(
      [...this.#seats.values()].map((s) => (s.stopped || !s.child.alive ? undefined : s.child.ask<ServerStatus>('status', {}, timeoutMs).catch(() => undefined))),
    );
    const statuses = answers.filter((s): s is ServerStatus => s !== undefined);
    this.#maxTerm = Math.max(this.#maxTerm, ...statuses.map((s) => s.term));
    return statuses;
  }

  /** The leader's id as the answering servers know it, or undefined. */
  async leader(): Promise<string | undefined> {
    const statuses = await this.statuses();
    return statuses.find((s) => s.state === 'leader')?.id;
  }

  /**
   * Waits until every server answers, all name the same leader, and `done`
   * holds for their statuses; resolves to them, or rejects after `withinMs`
   * with the last statuses.
   */
  async settle(done: (statuses: readonly ServerStatus[]) => boolean = () => true, withinMs = SETTLE_MS): Promise<ServerStatus[]> {
    const until = Date.now() + withinMs;
    for (;;) {
      const statuses = await this.statuses();
      const leaders = new Set(statuses.map((s) => s.leaderId));
      if (statuses.length === this.#seats.size && leaders.size === 1 && !leaders.has('') && done(statuses)) return statuses;
      if (Date.now() > until) throw new Error(`the cluster did not settle within ${withinMs} ms: ${JSON.stringify(statuses)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills every server process (continued first, if stopped). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#seats.values()].map((s) => s.child.stop()));
  }

  async #launch(id: string, bootstrap: boolean, port?: number): Promise<void> {
    const config: ServerConfig = {
      kind: 'member',
      id,
      bootstrap,
      ...(port === undefined ? {} : { port }),
      ...(this.#options.dataDir === undefined ? {} : { dataDir: join(this.#options.dataDir, id) }),
    };
    const child = TsChild.start(SERVER_SCRIPT, config, { name: id, ...(this.#options.fdLimit === undefined ? {} : { fdLimit: this.#options.fdLimit }) });
    child.on((message) => {
      if (message.event === 'state') this.#maxTerm = Math.max(this.#maxTerm, Number(message['term']));
    });
    const address = String((await child.ready)['address']);
    const known = this.#seats.get(id);
    if (known) {
      known.child = child;
      known.stopped = false;
    } else {
      this.#seats.set(id, { child, port: Number(address.slice(address.lastIndexOf(':') + 1)), address, stopped: false });
    }
  }
}
