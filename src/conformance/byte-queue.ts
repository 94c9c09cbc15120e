/**
 * The bytes a socket received and nobody read yet, and how the socket
 * ended: what the kit's dialer (WirePeer) and its scripted servers
 * (ScriptConnection) both wait on, one reader at a time.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #length = 0;
  #end: 'closed' | 'reset' | undefined;
  #wake: (() => void) | undefined;

  /** Bytes received and not taken. */
  get length(): number {
    return this.#length;
  }

  /** How the socket ended, once it has. */
  get end(): 'closed' | 'reset' | undefined {
    return this.#end;
  }

  /** Bytes came in. */
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    this.#wake?.();
  }

  /** The socket ended; the first way it did counts. */
  ended(how: 'closed' | 'reset'): void {
    this.#end ??= how;
    this.#wake?.();
  }

  /** Resolves once `done()` holds, the socket ended, or `ms` passed; the timer is cleared either way. */
  until(done: () => boolean, ms: number): Promise<void> {
    if (done() || this.#end) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#wake = () => {
        if (done() || this.#end) finish();
      };
    });
  }

  /** The first `n` bytes (fewer if fewer came), left in the queue. */
  peek(n: number): Buffer {
    if (this.#chunks.length > 1) this.#chunks = [Buffer.concat(this.#chunks)];
    return (this.#chunks[0] ?? Buffer.alloc(0)).subarray(0, n);
  }

  /** Takes the first `n` bytes (n <= length). */
  take(n: number): Buffer {
    const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return all.subarray(0, n);
  }
}
