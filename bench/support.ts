/**
 * Servers and clients the scenarios share: a membership server run as users
 * run it (`handleChangeRequests` over a raft stub that commits at once), one
 * that redirects, and a raw `node:net` peer pair that moves the same bytes
 * as a join and its response with no library in the way.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { MembershipServer, handleChangeRequests, type ConfigurationServer, type MembershipServerOptions, type Raft } from '../src/index.js';
import { encodeRequest, encodeResponse } from '../src/protocol/messages.js';

/** The joining server's own raft address, as every scenario sends it. */
export const SELF = '127.0.0.1:7002';
export const JOIN_ID = 'n2';

/** A join frame and its response frame, as the library puts them on the wire. */
export const JOIN_FRAME = encodeRequest({ type: 'join', rid: 1, id: JOIN_ID, address: SELF, role: 'voter' });
export const RESPONSE_FRAME = encodeResponse({ rid: 1, ok: true, index: 2 });

/** A running server and how to stop it. */
export interface Running {
  readonly address: string;
  close(): Promise<void>;
}

/**
 * What a bench's servers run with beyond the defaults: no per-peer request
 * rate, since every bench client comes from 127.0.0.1 and a bench measures
 * how fast the server can go, not the limit (100 requests a second per
 * peer by default) that bounds what one peer may make it do.
 */
export const BENCH_SERVER_OPTIONS = { requestRatePerPeer: Infinity } as const;

/**
 * A membership server with no raft behind it: `answer` settles each request
 * as soon as it is taken from `server.requests`.
 */
export async function answeringServer(
  answer: (request: import('../src/index.js').ChangeRequest, n: number) => void,
  options: MembershipServerOptions = {},
): Promise<Running & { server: MembershipServer }> {
  const server = new MembershipServer({ ...BENCH_SERVER_OPTIONS, ...options });
  const address = await server.listen(0, '127.0.0.1');
  const loop = (async () => {
    let n = 0;
    for await (const request of server.requests) answer(request, ++n);
  })();
  return {
    server,
    address,
    async close() {
      await server.close();
      await loop;
    },
  };
}

/** What {@link instantRaft} pretends to be. */
export interface InstantRaftOptions {
  /** Servers in its configuration, for `members` requests. @default 0 */
  readonly members?: number;
  /** Makes it a follower of this leader: every change is redirected there. */
  readonly leader?: string;
}

/**
 * A raft stub that commits every change at once (a leader), or a follower
 * that knows its leader. Its configuration holds `members` servers with ids
 * and addresses of realistic lengths, at a fixed index, as a real raft's is
 * between changes.
 */
export function instantRaft(options: InstantRaftOptions = {}): Raft {
  const servers: ConfigurationServer[] = Array.from({ length: options.members ?? 0 }, (_, i) => ({
    id: `node-${String(i).padStart(4, '0')}`,
    address: `10.0.${i >> 8}.${i & 255}:7000`,
    role: 'voter',
  }));
  const configuration = { index: 7, servers };
  let index = 7;
  const leader = options.leader;
  return {
    state: () => (leader === undefined ? 'leader' : 'follower'),
    leader: () => leader ?? '',
    addVoter: () => Promise.resolve(++index),
    addNonvoter: () => Promise.resolve(++index),
    removeServer: () => Promise.resolve(++index),
    configuration: () => configuration,
  };
}

/**
 * A membership server as users run it, in front of {@link instantRaft}:
 * `handleChangeRequests(raft, server.requests)` and `serveConfiguration(raft)`.
 */
export async function raftServer(raft: Raft, options: MembershipServerOptions = {}): Promise<Running & { server: MembershipServer }> {
  const server = new MembershipServer({ ...BENCH_SERVER_OPTIONS, ...options });
  const address = await server.listen(0, '127.0.0.1');
  const handling = handleChangeRequests(raft, server.requests);
  server.serveConfiguration(raft);
  return {
    server,
    address,
    async close() {
      await server.close();
      await handling;
    },
  };
}

/** Answers every join with success at once, through `handleChangeRequests`. */
export function immediateServer(options?: MembershipServerOptions): ReturnType<typeof raftServer> {
  return raftServer(instantRaft(), options);
}

/** A follower that sends every join to `leader`. */
export function redirectingServer(leader: string): ReturnType<typeof raftServer> {
  return raftServer(instantRaft({ leader }));
}

/** Listens on a free loopback port; resolves to its address. */
export async function listenLoopback(server: Server | import('node:http').Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('not a TCP server');
  return `127.0.0.1:${bound.port}`;
}

/**
 * The floor's pair: a {@link rawResponder} and a {@link RawClient} moving a
 * join's and a response's bytes; `closers` gets what to close.
 */
export async function rawFloor(batch: boolean, closers: (() => unknown)[]): Promise<RawClient> {
  const server = await rawResponder(JOIN_FRAME.length, RESPONSE_FRAME);
  closers.push(() => server.close());
  const client = await RawClient.connect(server.address, JOIN_FRAME, RESPONSE_FRAME.length, batch);
  closers.push(() => client.close());
  return client;
}

/** Listens on a free loopback port; `close()` also destroys the sockets it accepted. */
export async function listenRaw(onSocket: (socket: Socket) => void): Promise<Running> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  return {
    address: await listenLoopback(server),
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The floor's server: for every `requestBytes` received, one `response`
 * back (all those of one read in one write). It counts bytes and parses
 * nothing: the least any server can do with these frames.
 */
export function rawResponder(requestBytes: number, response: Buffer): Promise<Running> {
  return listenRaw((socket) => {
    let pending = 0;
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.length;
      const n = Math.floor(pending / requestBytes);
      if (n === 0) return;
      pending -= n * requestBytes;
      socket.write(n === 1 ? response : Buffer.concat(Array.from({ length: n }, () => response)));
    });
  });
}

/** Opens a plain TCP connection with Nagle off. */
export function dialRaw(address: string): Promise<Socket> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.slice(0, at), port: Number(address.slice(at + 1)), noDelay: true });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/**
 * The floor's client: sends `request` and resolves when `responseBytes`
 * came back, matching responses to requests in order. With `batch`,
 * requests made in the same tick leave in one write, as the library's do
 * (the best a pipelining client can do); without, each is written at once
 * (the best for one request at a time).
 */
export class RawClient {
  readonly #socket: Socket;
  readonly #waiting: (() => void)[] = [];
  #head = 0;
  #received = 0;
  #corked = false;

  private constructor(
    socket: Socket,
    readonly request: Buffer,
    readonly responseBytes: number,
    readonly batch: boolean,
  ) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received += chunk.length;
      while (this.#received >= this.responseBytes) {
        this.#received -= this.responseBytes;
        this.#waiting[this.#head++]!();
      }
      if (this.#head === this.#waiting.length) {
        this.#waiting.length = 0;
        this.#head = 0;
      }
    });
  }

  static async connect(address: string, request: Buffer, responseBytes: number, batch: boolean): Promise<RawClient> {
    return new RawClient(await dialRaw(address), request, responseBytes, batch);
  }

  send(): Promise<void> {
    const socket = this.#socket;
    if (this.batch && !this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        socket.uncork();
      });
    }
    socket.write(this.request);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  close(): void {
    this.#socket.destroy();
  }
}
