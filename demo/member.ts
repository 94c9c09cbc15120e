/**
 * One server of the demo cluster, in its own process: a ClusterMember (the
 * library plus the reference raft on one loopback port) driven by the
 * conductor over IPC. It exits when the conductor goes away, so no process
 * outlives the demo.
 */
import { ClusterMember } from '../reference/cluster-member.js';
import type { Command, Reply } from './protocol.js';

const id = process.argv[2];
const bootstrap = process.argv[3] === 'bootstrap';
if (!id || !process.send) {
  console.error('usage: started by demo/cluster.ts with an IPC channel: member.ts ID [bootstrap] [--data-dir DIR]');
  process.exit(64);
}
const send = (reply: Reply): void => {
  process.send?.(reply);
};

const dataDir = process.argv.includes('--data-dir') ? process.argv[process.argv.indexOf('--data-dir') + 1] : undefined;
const member = await ClusterMember.start({ id, bootstrap, ...(dataDir ? { dataDir } : {}) });
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await member.close();
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());

process.on('message', (command: Command) => {
  void (async () => {
    if (command.op === 'status') {
      const raft = member.raft;
      send({
        op: 'status',
        seq: command.seq,
        status: {
          id,
          address: member.address,
          state: raft.state(),
          term: raft.term,
          commitIndex: raft.commitIndex,
          leader: raft.leader(),
          configuration: raft.configuration(),
        },
      });
      return;
    }
    const started = performance.now();
    try {
      const index =
        command.op === 'join' ? await member.join(command.targets, 10_000) : await member.leave(command.targets, 10_000);
      send({ op: 'done', seq: command.seq, ms: performance.now() - started, ...(index === undefined ? {} : { index }) });
    } catch (err) {
      send({ op: 'failed', seq: command.seq, error: `${(err as Error).name}: ${(err as Error).message}` });
    }
  })();
});

send({ op: 'ready', id, address: member.address });
