import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseAddress, type ServerAddress } from '../../src/index.js';

/** Which way bytes flow through a link: `up` is client → server, `down` server → client. */
export type Direction = 'up' | 'down';

/** What a link does with the bytes it reads, per direction. */
export type LinkMode = 'pass' | 'drop' | 'black-hole';

/** Faults a whole proxy applies to links it accepts from now on. */
export interface LinkFaults {
  readonly mode?: LinkMode;
  readonly delayMs?: number;
}

/** Counters over the proxy's life, for reports. */
export interface ProxyStats {
  links: number;
  bytesUp: number;
  bytesDown: number;
  /** Bytes read and thrown away by a black hole. */
  bytesSwallowed: number;
  cuts: number;
  faults: number;
}

/** Bytes a direction holds (delayed, or waiting for a slow reader) before it stops reading its source. */
const MAX_QUEUED_BYTES = 256 * 1024;
/** How long a cut lets its last bytes leave before destroying the sockets. */
const CUT_FLUSH_MS = 500;

const both = (direction: Direction | 'both'): Direction[] => (direction === 'both' ? ['up', 'down'] : [direction]);

/**
 * One direction of a link: reads `from`, writes `to`, with a mode, a delay
 * and an optional cut after a byte count. It holds at most
 * MAX_QUEUED_BYTES: past that it stops reading `from` (TCP back-pressure),
 * so a fault never makes the proxy buffer without bound.
 */
class Pipe {
  mode: LinkMode = 'pass';
  delayMs = 0;
  /** Bytes still to forward before the link is cut; undefined: no cut planned. */
  cutAfter: number | undefined;
  readonly #queue: Array<{ chunk: Buffer; at: number }> = [];
  #queued = 0;
  #timer: NodeJS.Timeout | undefined;
  #blocked = false;

  constructor(
    readonly from: Socket,
    readonly to: Socket,
    readonly direction: Direction,
    private readonly link: ProxyLink,
  ) {
    from.on('data', (chunk: Buffer) => this.#onData(chunk));
    to.on('drain', () => {
      this.#blocked = false;
      this.pump();
    });
  }

  #onData(chunk: Buffer): void {
    if (this.mode === 'black-hole') {
      this.link.stats.bytesSwallowed += chunk.length;
      return;
    }
    this.#queue.push({ chunk, at: performance.now() + this.delayMs });
    this.#queued += chunk.length;
    this.pump();
  }

  /** Forwards what is due, then decides whether `from` may be read. */
  pump(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.mode === 'pass' && !this.#blocked && this.#queue.length > 0 && !this.link.isClosed) {
      const head = this.#queue[0]!;
      const wait = head.at - performance.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => this.pump(), Math.ceil(wait));
        break;
      }
      let chunk = head.chunk;
      if (this.cutAfter !== undefined && chunk.length >= this.cutAfter) chunk = chunk.subarray(0, this.cutAfter);
      this.#queue.shift();
      this.#queued -= head.chunk.length;
      this.#count(chunk.length);
      if (this.cutAfter !== undefined) {
        this.cutAfter -= chunk.length;
        if (this.cutAfter === 0) {
          this.link.cutNow(this.direction, chunk);
          return;
        }
      }
      if (!this.to.write(chunk)) this.#blocked = true;
    }
    // Reading resumes only while forwarding (or swallowing) and below the bound.
    const read = this.mode === 'black-hole' || (this.mode === 'pass' && this.#queued < MAX_QUEUED_BYTES && !this.#blocked);
    if (read) this.from.resume();
    else this.from.pause();
  }

  #count(n: number): void {
    if (this.direction === 'up') this.link.stats.bytesUp += n;
    else this.link.stats.bytesDown += n;
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#queued = 0;
  }
}

/**
 * One proxied connection: the client's socket and the proxy's own to the
 * server. Faults change at runtime; `heal()` undoes them (bytes a drop held
 * back then flow; bytes a black hole swallowed are gone).
 */
export class ProxyLink {
  readonly #pipes: Record<Direction, Pipe>;
  readonly #sockets: Socket[];
  #closed = false;
  /** Resolves once both sockets are closed. */
  readonly closed: Promise<void>;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    readonly stats: ProxyStats,
    faults: LinkFaults,
  ) {
    this.#sockets = [client, upstream];
    this.#pipes = { up: new Pipe(client, upstream, 'up', this), down: new Pipe(upstream, client, 'down', this) };
    this.closed = Promise.all(this.#sockets.map((s) => new Promise((resolve) => s.once('close', resolve)))).then(() => undefined);
    for (const socket of this.#sockets) {
      socket.on('error', () => undefined);
      // One side gone: the link is gone (a proxy that half-closes would hide a cut).
      socket.once('close', () => this.#close());
    }
    for (const pipe of Object.values(this.#pipes)) {
      pipe.mode = faults.mode ?? 'pass';
      pipe.delayMs = faults.delayMs ?? 0;
      pipe.pump();
    }
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Holds every byte from now on (after `ms`), in order. */
  delay(ms: number, direction: Direction | 'both' = 'both'): this {
    return this.#set(direction, (pipe) => (pipe.delayMs = ms));
  }

  /** Stops forwarding and reading: bytes wait in the kernel, as in a partition, until `heal()`. */
  drop(direction: Direction | 'both' = 'both'): this {
    return this.#set(direction, (pipe) => (pipe.mode = 'drop'));
  }

  /** Reads and discards every byte, forwards none, never closes. */
  blackHole(direction: Direction | 'both' = 'both'): this {
    return this.#set(direction, (pipe) => (pipe.mode = 'black-hole'));
  }

  /**
   * Destroys both sides, at once or, with `afterBytes`, once that many more
   * bytes went `direction` (default `down`): a frame cut in the middle.
   */
  cut(options: { afterBytes?: number; direction?: Direction } = {}): this {
    this.stats.faults += 1;
    if (options.afterBytes === undefined || options.afterBytes <= 0) {
      this.cutNow();
      return this;
    }
    const pipe = this.#pipes[options.direction ?? 'down'];
    pipe.cutAfter = options.afterBytes;
    pipe.pump();
    return this;
  }

  /** Forwards everything again, without delay. */
  heal(): this {
    for (const pipe of Object.values(this.#pipes)) {
      pipe.mode = 'pass';
      pipe.delayMs = 0;
      pipe.pump();
    }
    return this;
  }

  /** @internal The cut itself: `last` (if any) still reaches the far side of `direction`, then both go. */
  cutNow(direction?: Direction, last?: Buffer): void {
    if (this.#closed) return;
    this.stats.cuts += 1;
    if (!direction || !last) {
      this.#close();
      return;
    }
    this.#stopPipes();
    const to = this.#pipes[direction].to;
    const from = this.#pipes[direction].from;
    from.destroy();
    // Let the partial frame out before the far side sees the connection end.
    const timer = setTimeout(() => to.destroy(), CUT_FLUSH_MS);
    to.once('close', () => clearTimeout(timer));
    to.end(last, () => {
      clearTimeout(timer);
      to.destroy();
    });
  }

  #set(direction: Direction | 'both', change: (pipe: Pipe) => void): this {
    this.stats.faults += 1;
    for (const d of both(direction)) {
      change(this.#pipes[d]);
      this.#pipes[d].pump();
    }
    return this;
  }

  #stopPipes(): void {
    this.#closed = true;
    for (const pipe of Object.values(this.#pipes)) pipe.stop();
  }

  #close(): void {
    if (!this.#closed) this.#stopPipes();
    for (const socket of this.#sockets) if (!socket.writableEnded) socket.destroy();
  }

  /** Destroys both sides now. */
  destroy(): void {
    this.#stopPipes();
    for (const socket of this.#sockets) socket.destroy();
  }
}

/**
 * An in-process TCP proxy on loopback (port 0) in front of one server, for
 * injecting network faults between a client and that server, per link and
 * at runtime. Faults set on the proxy apply to the links it accepts later.
 */
export class FaultProxy {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #links = new Set<ProxyLink>();
  readonly #waiters: Array<(link: ProxyLink) => void> = [];
  #faults: LinkFaults = {};
  readonly stats: ProxyStats = { links: 0, bytesUp: 0, bytesDown: 0, bytesSwallowed: 0, cuts: 0, faults: 0 };
  address: ServerAddress = '';

  private constructor(target: ServerAddress) {
    this.#target = parseAddress(target);
    this.#server = createServer({ pauseOnConnect: true, noDelay: true }, (client) => this.#accept(client));
  }

  /** Starts a proxy to `target` on a free loopback port. */
  static async start(target: ServerAddress): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const bound = proxy.#server.address();
    if (bound === null || typeof bound === 'string') throw new Error('proxy not bound to a port');
    proxy.address = `127.0.0.1:${bound.port}`;
    return proxy;
  }

  /** Links open now, oldest first. */
  get links(): ProxyLink[] {
    return [...this.#links];
  }

  /** Resolves to the next link the proxy accepts (bounded by `timeoutMs`). */
  nextLink(timeoutMs = 2_000): Promise<ProxyLink> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(take);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(new Error(`no link within ${timeoutMs} ms`));
      }, timeoutMs);
      const take = (link: ProxyLink): void => {
        clearTimeout(timer);
        resolve(link);
      };
      this.#waiters.push(take);
    });
  }

  /** Faults for every link accepted from now on (`{}` heals new links). */
  setFaults(faults: LinkFaults): this {
    this.#faults = faults;
    return this;
  }

  /** Cuts every open link now. */
  cutAll(): void {
    for (const link of this.#links) link.cut();
  }

  /** Stops listening and destroys every link. */
  async close(): Promise<void> {
    for (const link of this.#links) link.destroy();
    await Promise.all([...this.#links].map((link) => link.closed));
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    const upstream = connect({ ...this.#target, noDelay: true });
    upstream.pause();
    const link = new ProxyLink(client, upstream, this.stats, this.#faults);
    this.stats.links += 1;
    this.#links.add(link);
    void link.closed.then(() => this.#links.delete(link));
    this.#waiters.shift()?.(link);
  }
}
