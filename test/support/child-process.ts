import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

/** A child's reply to an `ask`. */
type ChildReply = { readonly seq: number; readonly ok: true; readonly value: unknown } | { readonly seq: number; readonly ok: false; readonly error: string };

/** An event a child sends of its own accord (`ready`, ...), with its fields. */
export interface ChildEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** Options of {@link TsChild.start}. */
export interface TsChildOptions {
  /** A name for messages. */
  readonly name: string;
  /** The child's open-file limit (`ulimit -n`), when it must differ from ours. */
  readonly fdLimit?: number;
  /**
   * The child's scheduling niceness (0 to 19): an attacker run at 19 gets
   * only the CPU the processes it attacks leave, as if it ran elsewhere.
   * @default 0
   */
  readonly nice?: number;
  /** How long the child has to send its `ready` event. @default 15000 */
  readonly readyTimeoutMs?: number;
}

/** Children still running, killed when this process exits however it exits. */
const running = new Set<TsChild>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The names of children started and not yet exited: a test checks it is empty when it is done. */
export function runningChildren(): string[] {
  return [...running].map((child) => `${child.name} (pid ${child.pid})`);
}

const TAIL_BYTES = 4_096;

/**
 * A TypeScript module run in a Node process of its own (through tsx), in a
 * process group of its own so that a kill reaches whatever it spawned, with
 * a request/reply channel over IPC. The child is expected to call
 * `serveParent` (test/support/parent-channel.ts).
 */
export class TsChild {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #listeners = new Set<(message: ChildEvent) => void>();
  #seq = 0;
  #tail = '';
  /** The `ready` event's fields. */
  readonly ready: Promise<Readonly<Record<string, unknown>>>;
  /** Resolves with the exit code or signal once the process is gone. */
  readonly exited: Promise<number | NodeJS.Signals | null>;

  private constructor(script: string, config: unknown, options: TsChildOptions) {
    this.name = options.name;
    const node = [process.execPath, '--import', 'tsx', script, JSON.stringify(config)];
    // The shell lowers the limit and then becomes node (exec): same pid, same IPC channel.
    this.#child =
      options.fdLimit === undefined
        ? spawn(node[0]!, node.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
        : spawn('/bin/sh', ['-c', `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, ...node], {
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          });
    running.add(this);
    if (options.nice !== undefined && this.#child.pid !== undefined) setPriority(this.#child.pid, options.nice);
    const keepTail = (chunk: Buffer): void => {
      this.#tail = (this.#tail + chunk.toString()).slice(-TAIL_BYTES);
    };
    this.#child.stdout?.on('data', keepTail);
    this.#child.stderr?.on('data', keepTail);
    this.exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        running.delete(this);
        const gone = new Error(`${this.name} exited (${signal ?? code})${this.#tail ? `: ${this.#tail.trim().slice(-600)}` : ''}`);
        for (const waiting of this.#waiting.values()) waiting.reject(gone);
        this.#waiting.clear();
        resolve(signal ?? code);
      });
    });
    this.#child.on('error', () => undefined);
    this.#child.on('message', (received: ChildReply | ChildEvent) => {
      if ('seq' in received && typeof received.seq === 'number') {
        const message = received as ChildReply;
        const waiting = this.#waiting.get(message.seq);
        this.#waiting.delete(message.seq);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(new Error(`${this.name}: ${message.error}`));
        return;
      }
      for (const listener of this.#listeners) listener(received as ChildEvent);
    });
    const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} was not ready within ${readyTimeoutMs} ms: ${this.#tail}`)), readyTimeoutMs);
      const off = this.on((message) => {
        if (message.event !== 'ready') return;
        clearTimeout(timer);
        off();
        resolve(message);
      });
      void this.exited.then((how) => {
        clearTimeout(timer);
        off();
        reject(new Error(`${this.name} exited (${how}) before it was ready: ${this.#tail.trim().slice(-600)}`));
      });
    });
    // A rejection nobody awaited yet must not crash the parent.
    this.ready.catch(() => undefined);
  }

  /** Starts `script` (a path, or a URL relative to the caller's module) with `config` as its argument. */
  static start(script: string | URL, config: unknown, options: TsChildOptions): TsChild {
    return new TsChild(typeof script === 'string' ? script : fileURLToPath(script), config, options);
  }

  /** The child's process id (also its process group's). */
  get pid(): number {
    const pid = this.#child.pid;
    if (pid === undefined) throw new Error(`${this.name} has no pid: it did not start`);
    return pid;
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last few KB the child printed, for failure messages. */
  get output(): string {
    return this.#tail;
  }

  /** Listens to the child's events; returns a function that stops listening. */
  on(listener: (message: ChildEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends `op` with `args`; resolves to the child's answer or rejects after `timeoutMs`. */
  ask<T = unknown>(op: string, args: Readonly<Record<string, unknown>> = {}, timeoutMs = 10_000): Promise<T> {
    if (!this.alive || !this.#child.connected) return Promise.reject(new Error(`${this.name} is not running`));
    const seq = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        reject(new Error(`${this.name} did not answer ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(seq, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#child.send({ ...args, op, seq });
    });
  }

  /** Sends `signal` to the child's whole process group; does nothing once it has exited. */
  kill(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /**
   * Stops the child: SIGCONT (in case it was stopped), then SIGKILL to its
   * group, and waits for the exit (bounded: a process that does not die
   * within 5 s is reported, not waited for forever).
   */
  async stop(): Promise<void> {
    this.kill('SIGCONT');
    this.kill('SIGKILL');
    await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  }
}
