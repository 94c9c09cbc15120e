import { DeadlineQueue } from './deadline-queue.js';

/** Something a deadline can close. */
export interface Expirable {
  /** Its deadline passed: close it, saying `reason` in the logs at `level`. */
  expire(reason: string, level: 'debug' | 'warn'): void;
}

/** The timeouts {@link ConnectionDeadlines} enforces. */
export interface ConnectionDeadlineOptions {
  readonly idleTimeoutMs: number;
  readonly frameTimeoutMs: number;
  readonly writeTimeoutMs: number;
}

/**
 * The three deadlines of membership connections, one timer each for all
 * connections of a server (a {@link DeadlineQueue} per kind):
 *
 * - **idle**: nothing in flight and no progress (a whole request received,
 *   an answer written) for `idleTimeoutMs`. Bytes alone are not progress: a
 *   peer trickling a frame a byte at a time is as idle as a silent one.
 * - **frame**: a frame whose first byte has arrived must be whole within
 *   `frameTimeoutMs` (nginx `client_body_timeout`); it runs only while the
 *   server is reading the connection.
 * - **write**: answers the peer does not read, once they back up past the
 *   socket's buffer, must be taken within `writeTimeoutMs` (NATS
 *   `write_deadline`): a slow consumer is cut off.
 */
export class ConnectionDeadlines<T extends Expirable> {
  readonly #idle: DeadlineQueue<T>;
  readonly #frame: DeadlineQueue<T>;
  readonly #write: DeadlineQueue<T>;

  constructor(options: ConnectionDeadlineOptions) {
    this.#idle = new DeadlineQueue(options.idleTimeoutMs, (c) => c.expire(`idle for ${options.idleTimeoutMs} ms`, 'debug'));
    this.#frame = new DeadlineQueue(options.frameTimeoutMs, (c) => c.expire(`a frame not complete within ${options.frameTimeoutMs} ms`, 'warn'));
    this.#write = new DeadlineQueue(options.writeTimeoutMs, (c) => c.expire(`answers not read within ${options.writeTimeoutMs} ms (slow consumer)`, 'warn'));
  }

  /** Nothing in flight after some progress: the idle clock starts again. */
  idle(connection: T): void {
    this.#idle.add(connection);
  }

  /** Work in flight: no idle clock. */
  busy(connection: T): void {
    this.#idle.delete(connection);
  }

  /** The first byte of a frame arrived (or reading resumed inside one): the frame clock starts. */
  frameStarted(connection: T): void {
    this.#frame.add(connection);
  }

  /** No partial frame is waiting on the peer any more. */
  frameEnded(connection: T): void {
    this.#frame.delete(connection);
  }

  /** True while the frame clock runs for `connection`. */
  inFrame(connection: T): boolean {
    return this.#frame.has(connection);
  }

  /** The peer stopped taking answers: its clock starts, unless it already runs. */
  writeBlocked(connection: T): void {
    if (!this.#write.has(connection)) this.#write.add(connection);
  }

  /** The peer took what was pending. */
  writeDrained(connection: T): void {
    this.#write.delete(connection);
  }

  /** The connection closed: no clock for it any more. */
  forget(connection: T): void {
    this.#idle.delete(connection);
    this.#frame.delete(connection);
    this.#write.delete(connection);
  }

  /** Stops every clock (the server closed). */
  clear(): void {
    this.#idle.clear();
    this.#frame.clear();
    this.#write.clear();
  }
}
