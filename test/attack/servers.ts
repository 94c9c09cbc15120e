/**
 * The attacked servers as processes: one stand-in server, one reference
 * raft member, or a cluster of five members (process-cluster.ts).
 */
import { TsChild } from '../support/child-process.js';
import { Target, type Attack } from './attack.js';
import { ProcessCluster } from './process-cluster.js';
import type { ServerConfig } from './processes/server.js';

const SERVER_SCRIPT = new URL('./processes/server.ts', import.meta.url);
const CLUSTER_SIZE = 5;

/** The running servers of one attack. */
export class Servers {
  readonly processes: readonly TsChild[];
  readonly addresses: readonly string[];
  readonly #cluster: ProcessCluster | undefined;

  private constructor(processes: readonly TsChild[], addresses: readonly string[], cluster?: ProcessCluster) {
    this.processes = processes;
    this.addresses = addresses;
    this.#cluster = cluster;
  }

  /** Starts the servers `attack` is aimed at, ready to serve (raft: one leader, every member agreeing). */
  static async start(attack: Attack): Promise<Servers> {
    const fdLimit = attack.serverFdLimit === undefined ? {} : { fdLimit: attack.serverFdLimit };
    if (attack.target === Target.StandIn) {
      const config: ServerConfig = { kind: 'stand-in', members: attack.standIn?.members ?? 0, idBytes: attack.standIn?.idBytes ?? 8 };
      const child = TsChild.start(SERVER_SCRIPT, config, { name: 'server', ...fdLimit });
      try {
        return new Servers([child], [String((await child.ready)['address'])]);
      } catch (err) {
        await child.stop();
        throw err;
      }
    }
    const cluster = await ProcessCluster.build({ size: attack.target === Target.Cluster ? CLUSTER_SIZE : 1, ...fdLimit });
    return new Servers(cluster.processes, cluster.addresses, cluster);
  }

  /** The highest term any member reported; undefined for a stand-in (no raft). */
  get term(): number | undefined {
    return this.#cluster?.maxTerm;
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
}
