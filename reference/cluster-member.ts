/**
 * Reference composition (NOT part of the published API): one raft server as
 * a user of this library would assemble it. A MembershipServer listens on
 * one port for both membership requests and raft streams, a TcpChanger
 * joins and leaves through peers and dials their raft streams, and the
 * reference RaftNode answers the requests through handleChangeRequests.
 * Used by the end-to-end tests and the demo.
 */
import type { Duplex } from 'node:stream';
import {
  InvalidOptionError,
  TcpChanger,
  handleChangeRequests,
  type MembershipServerOptions,
  type ServerAddress,
  type ServerID,
  type TcpChangerOptions,
} from '../src/index.js';
import { MembershipServer } from '../src/index.js';
import { FileStorage } from './raft/file-storage.js';
import { RaftNode, type RaftLogger } from './raft/node.js';
import { MemoryStorage, type RaftStorage } from './raft/storage.js';
import type { StreamLayer } from './raft/stream-layer.js';

/** Options of {@link ClusterMember.start}. */
export interface ClusterMemberOptions {
  readonly id: ServerID;
  /** Port to listen on (0: a free one; a restart passes the old one). @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Make this the first server of a new cluster; ignored when the storage
   * already holds state (a restart with the same command line).
   */
  readonly bootstrap?: boolean;
  /**
   * A directory for durable raft state (term, vote, log, in a journal); a
   * process restarted with the same `dataDir` and `port` comes back with
   * its state. Not with `storage`. @default state in memory only
   */
  readonly dataDir?: string;
  /** Raft state to start from and keep (an in-process "restart" passes its predecessor's). Not with `dataDir`. */
  readonly storage?: RaftStorage;
  /** @default 150 */
  readonly electionTimeoutMs?: number;
  /** @default 30 */
  readonly heartbeatMs?: number;
  /** Passed to the MembershipServer and TcpChanger alike. */
  readonly clusterName?: string;
  readonly secret?: string;
  /** Extra server options (limits, timeouts). */
  readonly server?: Omit<MembershipServerOptions, 'clusterName' | 'secret'>;
  /** Extra client options (back-off, redirects, a logger). */
  readonly client?: Omit<TcpChangerOptions, 'address' | 'clusterName' | 'secret'>;
  readonly raftLogger?: RaftLogger;
  /**
   * The address the others dial for this server (raft and membership),
   * given the one it listens on: a fault test puts a proxy in front of it.
   * @default the listen address
   */
  readonly advertise?: (listening: ServerAddress) => ServerAddress | Promise<ServerAddress>;
  /**
   * Where this server's raft streams to `target` are dialed: a fault test
   * routes each one through a proxy of its own. @default `target` itself
   */
  readonly route?: (target: ServerAddress) => ServerAddress | Promise<ServerAddress>;
}

/** A running raft server: membership and raft on one port; it answers `members` requests with its configuration. */
export class ClusterMember {
  readonly id: ServerID;
  /** The address the others know this server by: the one it listens on unless `advertise` said otherwise. */
  readonly address: ServerAddress;
  /** The address the membership server listens on. */
  readonly listenAddress: ServerAddress;
  readonly server: MembershipServer;
  readonly changer: TcpChanger;
  readonly raft: RaftNode;
  readonly storage: RaftStorage;
  /** The storage this member opened (from `dataDir`) and closes. */
  readonly #ownStorage: FileStorage | undefined;
  readonly #handling: Promise<void>;
  #closed: Promise<void> | undefined;

  private constructor(options: ClusterMemberOptions, server: MembershipServer, listenAddress: ServerAddress, address: ServerAddress) {
    this.id = options.id;
    this.address = address;
    this.listenAddress = listenAddress;
    this.server = server;
    if (options.dataDir !== undefined && options.storage !== undefined) throw new InvalidOptionError('give dataDir or storage, not both');
    this.#ownStorage = options.dataDir === undefined ? undefined : FileStorage.open(options.dataDir);
    this.storage = this.#ownStorage ?? options.storage ?? new MemoryStorage();
    this.changer = new TcpChanger({
      ...options.client,
      address,
      ...(options.clusterName === undefined ? {} : { clusterName: options.clusterName }),
      ...(options.secret === undefined ? {} : { secret: options.secret }),
    });
    // hashicorp/raft's StreamLayer, served by the membership port.
    const layer: StreamLayer = {
      dial: async (target: string, timeoutMs: number): Promise<Duplex> => this.changer.dial(options.route ? await options.route(target) : target, timeoutMs),
      accept: (signal?: AbortSignal): Promise<Duplex> => server.accept(signal),
    };
    this.raft = new RaftNode({
      id: options.id,
      address,
      layer,
      storage: this.storage,
      electionTimeoutMs: options.electionTimeoutMs ?? 150,
      heartbeatMs: options.heartbeatMs ?? 30,
      ...(options.raftLogger ? { logger: options.raftLogger } : {}),
    });
    const fresh = this.storage.currentTerm === 0 && this.storage.entries.length === 0;
    if (options.bootstrap && fresh) this.raft.bootstrap();
    this.raft.start();
    const raft = this.raft;
    // handleChangeRequests would let the server read raft.configuration(); this adds its index.
    server.serveConfiguration({
      state: () => raft.state(),
      leader: () => raft.leader(),
      configuration: () => ({ index: raft.configurationIndex, servers: raft.configuration() }),
    });
    this.#handling = handleChangeRequests(this.raft, server.requests);
  }

  /** Listens, starts raft and starts answering membership requests. */
  static async start(options: ClusterMemberOptions): Promise<ClusterMember> {
    const server = new MembershipServer({
      ...options.server,
      ...(options.clusterName === undefined ? {} : { clusterName: options.clusterName }),
      ...(options.secret === undefined ? {} : { secret: options.secret }),
    });
    const listenAddress = await server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    try {
      const address = options.advertise ? await options.advertise(listenAddress) : listenAddress;
      return new ClusterMember(options, server, listenAddress, address);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** Asks the cluster, through any of `targets`, to let this server in. */
  join(targets: ServerAddress | readonly ServerAddress[], timeoutMs: number): Promise<number | undefined> {
    return this.changer.join(this.id, targets, timeoutMs);
  }

  /** Asks the cluster, through any of `targets`, to let this server go. */
  leave(targets: ServerAddress | readonly ServerAddress[], timeoutMs: number): Promise<number | undefined> {
    return this.changer.leave(this.id, targets, timeoutMs);
  }

  /** Stops everything: raft, the membership server, the client. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.raft.close();
      this.changer.close();
      await this.server.close();
      await this.#handling;
      this.#ownStorage?.close();
    })();
    return this.#closed;
  }
}
