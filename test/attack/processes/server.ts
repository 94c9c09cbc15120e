/**
 * The attacked server, in a process of its own with default options: a
 * reference raft ClusterMember (alone, or one of a cluster), or a
 * MembershipServer answering through an in-memory stand-in raft. Reports
 * its raft state changes and, on request, its event-loop delay.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MembershipServer, handleChangeRequests } from '../../../src/index.js';
import { ClusterMember } from '../../../reference/cluster-member.js';
import { FakeRaft } from '../../support/fake-raft.js';
import { childConfig, emit, serveParent, type Handlers } from '../../support/parent-channel.js';

/** What the runner starts a server process with. */
export type ServerConfig =
  | {
      readonly kind: 'member';
      readonly id: string;
      readonly bootstrap: boolean;
      /** Where raft keeps its state; a restart with the same dataDir and port comes back with it. */
      readonly dataDir?: string;
      /** @default 0 (a free port) */
      readonly port?: number;
    }
  | { readonly kind: 'stand-in'; readonly members: number; readonly idBytes: number };

/** A raft server's state, as a status request reports it. */
export interface ServerStatus {
  readonly id: string;
  readonly state: string;
  readonly term: number;
  readonly leaderId: string;
  readonly commitIndex: number;
  readonly configuration: readonly string[];
  /** The latest committed configuration: "id" for a voter, "id (nonvoter)" otherwise. */
  readonly committed: readonly string[];
}

const config = childConfig<ServerConfig>();
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const common: Handlers = {
  /** The event loop's worst delay since the last call, in ms. */
  loop: () => {
    const maxMs = loopDelay.max / 1e6;
    loopDelay.reset();
    return maxMs;
  },
};

if (config.kind === 'member') {
  const member = await ClusterMember.start({
    id: config.id,
    bootstrap: config.bootstrap,
    ...(config.port === undefined ? {} : { port: config.port }),
    // The durable reference raft (ClusterMember's dataDir) keeps term, vote and log there.
    ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
  });
  if (config.dataDir !== undefined && member.storage.constructor.name === 'MemoryStorage') {
    throw new Error('ClusterMember ignored dataDir: this checkout has no durable reference raft (ClusterMember.start({ dataDir }))');
  }
  // Members requests read raft's configuration, as a real server would let them.
  member.server.serveConfiguration(member.raft);
  let leaderId = '';
  member.raft.onStateChange((change) => {
    leaderId = change.leaderId;
    emit('state', { id: change.id, state: change.state, term: change.term, leaderId: change.leaderId });
  });
  const status = (): ServerStatus => ({
    id: config.id,
    state: member.raft.state(),
    term: member.raft.term,
    leaderId,
    commitIndex: member.raft.commitIndex,
    configuration: member.raft.configuration().map((s) => s.id),
    committed: member.raft.committedConfiguration().map((s) => (s.role === 'voter' ? s.id : `${s.id} (nonvoter)`)),
  });
  serveParent(
    {
      ...common,
      status,
      join: async (request) => {
        await member.join(request['targets'] as string[], Number(request['timeoutMs']));
        return status();
      },
    },
    () => member.close(),
  );
  emit('ready', { address: member.address });
} else {
  const raft = new FakeRaft({ nonvoters: true });
  for (let i = 0; i < config.members; i++) {
    const id = `m${i}-`.padEnd(config.idBytes, 'x');
    raft.servers.set(id, { id, address: `10.0.${Math.floor(i / 250)}.${i % 250}:7000`, role: 'voter' });
  }
  // The stand-in's call log is a test aid, not the server's memory.
  setInterval(() => (raft.calls.length = 0), 1_000).unref();
  const server = new MembershipServer();
  const address = await server.listen(0, '127.0.0.1');
  server.serveConfiguration(raft);
  const handling = handleChangeRequests(raft, server.requests);
  serveParent({ ...common, status: () => ({ members: raft.servers.size }) }, async () => {
    await server.close();
    await handling;
  });
  emit('ready', { address });
}
