// Run by test/client/idioms.test.ts in a child process, with and without
// NODE_DEBUG=raft-membership: a server and a client do one join and close,
// with no logger configured.
import { MembershipServer, TcpChanger, handleChangeRequests, type Raft } from '../../../src/index.js';

const raft: Raft = {
  state: () => 'leader',
  leader: () => '',
  addVoter: async () => 2,
  removeServer: async () => 3,
};
const server = new MembershipServer({ maxConnections: 1 });
const address = await server.listen(0, '127.0.0.1');
const handling = handleChangeRequests(raft, server.requests);
const changer = new TcpChanger({ address: '127.0.0.1:7999' });
await changer.join('n2', address, 5_000);
// A second client is refused (maxConnections 1): a warning on the server.
const other = new TcpChanger();
await other.members(address, 300).catch(() => undefined);
await other.close();
await changer.close();
await server.close();
await handling;
process.stdout.write('done\n');
