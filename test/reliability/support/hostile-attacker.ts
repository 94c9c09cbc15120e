/**
 * An attacker process for the fast attack tests of hostile-peers.test.ts:
 * run with `fork(this file, [JSON of AttackPlan], { execArgv: ['--import',
 * 'tsx'] })`, so that its CPU and sockets are not the server's. It attacks
 * until killed, from its own source addresses (127.0.0.2 and up), and sends
 * its parent an {@link AttackReport} every 100 ms.
 */
import { connect, type Socket } from 'node:net';
import { Channel, ReplyStatus, parseAddress } from '../../../src/index.js';
import { encodeHello, encodeRequest } from '../../../src/protocol/index.js';

/** What to do, from which addresses. */
export interface AttackPlan {
  /**
   * - `pipeline`: membership connections that pipeline `request`s as fast as
   *   the server reads them and never read an answer; a closed one is
   *   dialed again.
   * - `reconnect`: connections that say hello and never close; once the
   *   server refuses one, another is dialed at once, the refused one left
   *   for the server to close.
   */
  readonly mode: 'pipeline' | 'reconnect';
  readonly target: string;
  /** Source addresses, one peer each. */
  readonly peers: readonly string[];
  /** Connections kept open per peer. */
  readonly connectionsPerPeer: number;
  /** What a `pipeline` connection sends. @default 'join' */
  readonly request?: 'join' | 'members';
}

/** What the attacker did so far. */
export interface AttackReport {
  /** Connections whose hello the server accepted. */
  readonly accepted: number;
  /** Connections refused with `busy` or closed before an answer. */
  readonly refused: number;
  /** Bytes of requests written. */
  readonly written: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as AttackPlan;
const { host, port } = parseAddress(plan.target);
const counts = { accepted: 0, refused: 0, written: 0 };
const request = plan.request ?? 'join';
const block = Buffer.concat(
  Array.from({ length: 512 }, (_, rid) =>
    request === 'members' ? encodeRequest({ type: 'members', rid }) : encodeRequest({ type: 'join', rid, id: `a${rid}`, address: '127.0.0.1:7000', role: 'voter' }),
  ),
);
const hello = encodeHello(Channel.Membership);

/** One attacking connection, dialed again whenever it closes or is refused, until the process ends. */
function attack(from: string): void {
  const socket = connect({ host, port, localAddress: from, allowHalfOpen: true });
  let answered = false;
  let redialed = false;
  const redial = (): void => {
    if (redialed) return;
    redialed = true;
    setImmediate(() => attack(from));
  };
  socket.on('error', () => undefined);
  socket.once('connect', () => {
    socket.write(hello);
    if (plan.mode === 'pipeline') pipeline(socket);
  });
  // The first bytes back say whether the hello was taken.
  socket.once('data', (chunk: Buffer) => {
    answered = true;
    if (chunk[0] === ReplyStatus.Accepted) {
      counts.accepted += 1;
      // A pipeliner reads nothing more; its writes still notice a close.
      if (plan.mode === 'pipeline') socket.pause();
      return;
    }
    counts.refused += 1;
    // Refused: dial again at once, leaving this socket for the server to close.
    if (plan.mode === 'reconnect') redial();
  });
  socket.once('close', () => {
    if (!answered) counts.refused += 1;
    redial();
  });
}

/** Writes request blocks whenever the socket drains: as fast as the server reads. */
function pipeline(socket: Socket): void {
  const more = (): void => {
    while (!socket.destroyed) {
      counts.written += block.length;
      if (!socket.write(block)) return;
    }
  };
  socket.on('drain', more);
  more();
}

for (const from of plan.peers) {
  for (let i = 0; i < plan.connectionsPerPeer; i++) attack(from);
}
setInterval(() => process.send?.({ ...counts } satisfies AttackReport), 100);
process.on('disconnect', () => process.exit(0));
