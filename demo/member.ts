/**
 * One server of the demo cluster, in its own process: a ClusterMember (the
 * library plus the reference raft on one loopback port) driven by the
 * conductor over IPC. It serves `members`, so that the command line can
 * read the configuration, and reports the redirects its client followed.
 * It exits when the conductor goes away, so no process outlives the demo.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DiagnosticsChannel, type ClientRedirectEvent, type ClientRetryEvent } from '../src/index.js';
import { ClusterMember } from '../reference/cluster-member.js';
import type { Command, Reply, Step } from './protocol.js';

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
// Ctrl-C in a terminal reaches every process of the demo, this one too.
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

/** Runs a join or leave, recording what the client did on the way (one change at a time per member). */
async function change(command: Extract<Command, { op: 'join' | 'leave' }>): Promise<Reply> {
  const steps: Step[] = [];
  const onRedirect = (message: unknown): void => {
    const { from, leader } = message as ClientRedirectEvent;
    steps.push({ kind: 'redirect', from, leader });
  };
  const onRetry = (message: unknown): void => {
    steps.push({ kind: 'retry', error: (message as ClientRetryEvent).error.message });
  };
  subscribe(DiagnosticsChannel.ClientRedirect, onRedirect);
  subscribe(DiagnosticsChannel.ClientRetry, onRetry);
  const started = performance.now();
  try {
    const index = command.op === 'join' ? await member.join(command.targets, 10_000) : await member.leave(command.targets, 10_000);
    return { op: 'done', seq: command.seq, ms: performance.now() - started, steps, ...(index === undefined ? {} : { index }) };
  } catch (err) {
    return { op: 'failed', seq: command.seq, error: `${(err as Error).name}: ${(err as Error).message}` };
  } finally {
    unsubscribe(DiagnosticsChannel.ClientRedirect, onRedirect);
    unsubscribe(DiagnosticsChannel.ClientRetry, onRetry);
  }
}

process.on('message', (command: Command) => {
  if (command.op !== 'status') {
    void change(command).then(send);
    return;
  }
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
});

send({ op: 'ready', id, address: member.address });
