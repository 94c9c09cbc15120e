/**
 * One ClusterMember in a process of its own, for tests that kill servers
 * with real signals: `node --import tsx member-process.ts ID PORT DATA_DIR
 * [bootstrap]`. It reports `{ ready, address }` over IPC, answers
 * `{ op: 'status' }` with its raft state, and exits when its parent goes.
 */
import { ClusterMember } from '../../../reference/cluster-member.js';

/** What the process reports about itself. */
export interface MemberStatus {
  readonly state: string;
  readonly term: number;
  readonly leader: string;
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly configurationIndex: number;
  readonly configuration: readonly { readonly id: string; readonly address: string; readonly role: string }[];
}

const [id, port, dataDir, mode] = process.argv.slice(2);
if (!id || port === undefined || !dataDir || !process.send) {
  console.error('usage (with an IPC channel): member-process.ts ID PORT DATA_DIR [bootstrap]');
  process.exit(64);
}
const member = await ClusterMember.start({ id, port: Number(port), dataDir, bootstrap: mode === 'bootstrap' });
process.on('disconnect', () => process.exit(0));
process.on('message', (message: { op: string; seq: number }) => {
  if (message.op !== 'status') return;
  const { raft } = member;
  const status: MemberStatus = {
    state: raft.state(),
    term: raft.term,
    leader: raft.leader(),
    commitIndex: raft.commitIndex,
    lastIndex: raft.lastIndex,
    configurationIndex: raft.configurationIndex,
    configuration: raft.configuration(),
  };
  process.send?.({ seq: message.seq, status });
});
process.send({ ready: true, address: member.address });
