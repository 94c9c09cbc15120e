import { connect, type Socket } from 'node:net';
import { Channel, ReplyStatus, parseAddress, type ServerAddress } from '../../src/index.js';
import { encodeHello } from '../../src/protocol/index.js';

/**
 * A hand-driven TCP peer for feeding a server exact bytes and reading what
 * comes back, with every wait bounded.
 */
export class RawPeer {
  readonly socket: Socket;
  #received = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Connects to `address`, from the local address `from` if given (127.0.0.2 and up: another peer). */
  static connect(address: ServerAddress, timeoutMs = 2_000, from?: string): Promise<RawPeer> {
    const { host, port } = parseAddress(address);
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...(from === undefined ? {} : { localAddress: from }) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timed out'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawPeer(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Waits for at least `n` bytes (at most `timeoutMs`) and takes exactly `n`. */
  async read(n: number, timeoutMs = 2_000): Promise<Buffer> {
    await this.#until(() => this.#received.length >= n || this.#closed, timeoutMs);
    if (this.#received.length < n) throw new Error(`wanted ${n} bytes, got ${this.#received.length} before close`);
    const out = this.#received.subarray(0, n);
    this.#received = this.#received.subarray(n);
    return out;
  }

  /** Waits for one length-prefixed frame and returns its payload. */
  async readFrame(timeoutMs = 2_000): Promise<Buffer> {
    const header = await this.read(4, timeoutMs);
    return this.read(header.readUInt32BE(0), timeoutMs);
  }

  /** Waits until the server closes the connection; resolves to the bytes left unread. */
  async waitClosed(timeoutMs = 2_000): Promise<Buffer> {
    await this.#until(() => this.#closed, timeoutMs);
    if (!this.#closed) throw new Error('connection still open');
    return this.#received;
  }

  close(): void {
    this.socket.destroy();
  }

  async #until(done: () => boolean, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!done()) {
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }
}

/** A raw peer past the preamble of the membership channel (no cluster name, no secret). */
export async function membershipPeer(address: ServerAddress, from?: string): Promise<RawPeer> {
  const peer = await RawPeer.connect(address, 2_000, from);
  peer.write(encodeHello(Channel.Membership));
  const reply = await peer.read(2);
  if (reply[0] !== ReplyStatus.Accepted) {
    peer.close();
    throw new Error(`preamble refused with status ${reply[0]}`);
  }
  return peer;
}
