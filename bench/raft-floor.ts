/**
 * The floor of a real join and leave, one process per server: the messages
 * that a join and a leave of a fourth server send between the same four
 * processes, in the same order, over raw `node:net` with no framing, no
 * codec and no raft: one byte each, answered at once. What is left of a
 * join above it is the library, the reference raft and their garbage; the
 * floor itself is the machine (loopback TCP, waking an idle process, the
 * other sessions' load), so its p99 is what no implementation on this
 * machine could beat in the same run.
 *
 * A join, as `raft-join-leave-4p` makes it (one-way messages in order):
 * the joiner dials the leader (TCP connect), hello → reply, join request →;
 * the leader dials the joiner's port (TCP connect), hello → reply, the
 * catch-up's entries → answer; the configuration entry to the two
 * followers and the joiner → two answers (the quorum of four); the join's
 * response →. A leave, on the same connection: request →, the
 * configuration entry to the two followers → one answer (the quorum of
 * three), response →.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Budget } from './harness.js';
import type { CycleTimes } from './raft-cycle.js';

/** The one-byte messages. */
const HELLO = 0x68; // h: a preamble's hello
const ACCEPTED = 0x61; // a: its reply
const JOIN = 0x6a; // j, then the joiner's port (2 bytes)
const LEAVE = 0x6c; // l
const ENTRIES = 0x65; // e: an AppendEntries
const ANSWER = 0x72; // r: its answer
const DONE = 0x64; // d: a membership response

/** A socket whose incoming bytes are read one at a time, as promises. */
class ByteLink {
  readonly socket: Socket;
  readonly #bytes: number[] = [];
  readonly #waiting: ((byte: number) => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const byte of chunk) {
        const waiter = this.#waiting.shift();
        if (waiter) waiter(byte);
        else this.#bytes.push(byte);
      }
    });
    socket.on('error', () => socket.destroy());
  }

  static dial(address: string): Promise<ByteLink> {
    const [host, port] = splitAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true }, () => {
        socket.off('error', reject);
        resolve(new ByteLink(socket));
      });
      socket.once('error', reject);
    });
  }

  next(): Promise<number> {
    const byte = this.#bytes.shift();
    if (byte !== undefined) return Promise.resolve(byte);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  send(...bytes: number[]): void {
    this.socket.write(Buffer.from(bytes));
  }

  /** Sends `bytes` and waits for one byte back, which must be `expect`. */
  async ask(expect: number, ...bytes: number[]): Promise<void> {
    this.send(...bytes);
    const got = await this.next();
    if (got !== expect) throw new Error(`floor: expected ${String.fromCharCode(expect)}, got ${String.fromCharCode(got)}`);
  }
}

function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/**
 * One server of the floor, in each of the four processes: it answers every
 * hello and every AppendEntries at once; as the leader (once told its
 * followers) it also serves joins and leaves.
 */
export class FloorNode {
  readonly address: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #followers: ByteLink[] = [];

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.address = address;
    server.on('connection', (socket) => this.#serve(new ByteLink(socket)));
  }

  static async listen(): Promise<FloorNode> {
    const server = createServer({ noDelay: true });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return new FloorNode(server, `127.0.0.1:${port}`);
  }

  /** Makes this node the leader of `followers` (connections kept open, as raft's are). */
  async lead(followers: readonly string[]): Promise<void> {
    for (const link of this.#followers) link.socket.destroy();
    this.#followers = await Promise.all(followers.map((address) => ByteLink.dial(address)));
  }

  /** Destroys the connections that others opened to this node (a joiner's server closing). */
  dropInbound(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const link of this.#followers) link.socket.destroy();
    this.dropInbound();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  async #serve(link: ByteLink): Promise<void> {
    this.#sockets.add(link.socket);
    link.socket.once('close', () => this.#sockets.delete(link.socket));
    try {
      for (;;) {
        const byte = await link.next();
        if (byte === HELLO) link.send(ACCEPTED);
        else if (byte === ENTRIES) link.send(ANSWER);
        else if (byte === JOIN) {
          const port = ((await link.next()) << 8) | (await link.next());
          const joiner = await ByteLink.dial(`127.0.0.1:${port}`);
          await joiner.ask(ACCEPTED, HELLO);
          await joiner.ask(ANSWER, ENTRIES);
          await this.#replicate([...this.#followers, joiner], 2);
          link.send(DONE);
        } else if (byte === LEAVE) {
          await this.#replicate(this.#followers, 1);
          link.send(DONE);
        }
      }
    } catch {
      link.socket.destroy();
    }
  }

  /** Sends an entry to each of `links`; resolves once `quorum` of them answered. */
  #replicate(links: readonly ByteLink[], quorum: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let answered = 0;
      for (const link of links) {
        link.ask(ANSWER, ENTRIES).then(() => {
          if (++answered === quorum) resolve();
        }, reject);
      }
    });
  }
}

/**
 * The joiner's side, timed as `joinLeaveCycles` times the real one: a new
 * connection to the leader per cycle, a join and a leave on it, then the
 * connections closed (not timed).
 */
export async function floorCycles(self: FloorNode, leader: string, { iterations, ms }: Budget): Promise<CycleTimes> {
  const joinsUs: number[] = [];
  const leavesUs: number[] = [];
  const port = Number(splitAddress(self.address)[1]);
  let timed = 0;
  while (joinsUs.length < iterations && timed < ms) {
    const t0 = performance.now();
    const link = await ByteLink.dial(leader);
    await link.ask(ACCEPTED, HELLO);
    await link.ask(DONE, JOIN, port >> 8, port & 0xff);
    const t1 = performance.now();
    await link.ask(DONE, LEAVE);
    const t2 = performance.now();
    joinsUs.push((t1 - t0) * 1000);
    leavesUs.push((t2 - t1) * 1000);
    timed += t2 - t0;
    link.socket.destroy();
    self.dropInbound();
  }
  return { joinsUs, leavesUs, elapsedMs: timed };
}
