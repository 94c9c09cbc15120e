import {
  MembershipServer,
  handleChangeRequests,
  type MembershipServerOptions,
} from '../../src/index.js';
import { FakeRaft } from './fake-raft.js';

/** A listening server whose requests a FakeRaft handles. */
export interface ServedCluster {
  readonly server: MembershipServer;
  readonly address: string;
  readonly raft: FakeRaft;
  close(): Promise<void>;
}

/** Starts a server on a free loopback port, answering through `raft`. */
export async function serve(options: MembershipServerOptions = {}, raft = new FakeRaft()): Promise<ServedCluster> {
  const server = new MembershipServer(options);
  const address = await server.listen(0, '127.0.0.1');
  const loop = handleChangeRequests(raft, server.requests);
  return {
    server,
    address,
    raft,
    async close() {
      await server.close();
      await loop;
    },
  };
}
