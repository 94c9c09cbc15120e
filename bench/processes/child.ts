/**
 * Bench processes: the conductor (the `npm run bench` process, which is also
 * the client in every separate-process scenario) starts a child with
 * {@link BenchChild.start} and drives it with numbered commands over IPC;
 * the child answers them with {@link serveCommands}. IPC is only used
 * between rounds, never per request.
 *
 * A child runs the same code as its conductor: the compiled `.js` under
 * `npm run bench`, the `.ts` source through tsx under vitest (the smoke test).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A command to a child: `op` names it, the rest are its arguments. */
export interface Command {
  readonly op: string;
  readonly [key: string]: unknown;
}

interface Envelope {
  readonly seq: number;
  readonly command: Command;
}

interface ReplyEnvelope {
  readonly seq: number;
  readonly reply?: unknown;
  readonly error?: string;
}

/** How long a child has to start, to answer a command, and to exit. */
const CHILD_TIMEOUT_MS = 60_000;
const EXIT_GRACE_MS = 5_000;

/** `process.cpuUsage()` as a child reports it, in µs. */
export interface CpuUsage {
  readonly user: number;
  readonly system: number;
}

/** Where `--cpu-prof` profiles go, when the conductor was asked to profile its children. */
let profileDir: string | undefined;

/** Makes every child started from now on write a CPU profile into `dir` when it exits. */
export function profileChildrenInto(dir: string | undefined): void {
  profileDir = dir;
}

/** A running child process of the bench. */
export class BenchChild {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  readonly #exited: Promise<void>;
  #seq = 0;
  #exitCode: number | null | undefined;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.#child = child;
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.#exitCode = code;
        for (const waiter of this.#waiting.values()) waiter.reject(new Error(`bench child ${name} exited with code ${code}`));
        this.#waiting.clear();
        resolve();
      }),
    );
    child.on('message', (message: ReplyEnvelope) => {
      const waiter = this.#waiting.get(message.seq);
      if (!waiter) return;
      this.#waiting.delete(message.seq);
      if (message.error !== undefined) waiter.reject(new Error(`${name}: ${message.error}`));
      else waiter.resolve(message.reply);
    });
  }

  /**
   * Starts `bench/processes/<script>` with `args`; resolves once it is
   * ready, to what it said then.
   */
  static async start<T>(script: string, args: readonly string[], name = script): Promise<{ child: BenchChild; ready: T }> {
    const source = import.meta.url.endsWith('.ts');
    const path = fileURLToPath(new URL(`./${script}${source ? '.ts' : '.js'}`, import.meta.url));
    const execArgv = source ? ['--import', 'tsx'] : [];
    if (profileDir !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`);
    const child = new BenchChild(name, fork(path, [...args], { execArgv, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    try {
      // A child sends its `ready` value unasked, as reply 0, once it listens for commands.
      return { child, ready: await child.#reply<T>(0, 'ready', CHILD_TIMEOUT_MS) };
    } catch (err) {
      await child.close();
      throw err;
    }
  }

  /** Sends a command; resolves to the child's reply. */
  ask<T>(command: Command, timeoutMs = CHILD_TIMEOUT_MS): Promise<T> {
    if (this.#exitCode !== undefined) return Promise.reject(new Error(`bench child ${this.name} has exited`));
    const seq = ++this.#seq;
    const reply = this.#reply<T>(seq, command.op, timeoutMs);
    this.#child.send({ seq, command } satisfies Envelope);
    return reply;
  }

  #reply<T>(seq: number, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        reject(new Error(`bench child ${this.name} did not answer ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(seq, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }

  /** The child's CPU time so far. */
  cpu(): Promise<CpuUsage> {
    return this.ask<CpuUsage>({ op: 'cpu' });
  }

  /** Asks the child to close what it runs and exit; kills it if it does not in time. */
  async close(): Promise<void> {
    if (this.#exitCode === undefined && this.#child.connected) this.#child.send({ seq: 0, command: { op: 'exit' } } satisfies Envelope);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), EXIT_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** What a child does for each command `op`; `ready` and `exit` are required. */
export type Handlers = Record<string, (command: Command) => unknown> & {
  /** What the conductor's `BenchChild.start` resolves to: sent as soon as the child serves commands. */
  ready(): unknown;
  /** Closes everything the child runs; the child then exits. */
  exit(): Promise<void> | void;
};

/**
 * The child's side: answers each command with its handler's (awaited)
 * value. `cpu` is built in. The child exits after `exit`, or when its
 * conductor goes away, so that no bench process outlives the run.
 */
export function serveCommands(handlers: Handlers): void {
  if (!process.send) {
    console.error('a bench child: started by the bench with an IPC channel');
    process.exit(64);
  }
  let exiting = false;
  const exit = async (): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await handlers.exit();
    process.disconnect?.();
    // Whatever is left open is the child's to drop: the profile (if any) is written on exit.
    process.exit(0);
  };
  process.on('disconnect', () => void exit());
  void (async () => {
    try {
      process.send?.({ seq: 0, reply: await handlers.ready() } satisfies ReplyEnvelope);
    } catch (err) {
      process.send?.({ seq: 0, error: (err as Error).stack ?? String(err) } satisfies ReplyEnvelope);
    }
  })();
  process.on('message', (message: Envelope) => {
    const { seq, command } = message;
    if (command.op === 'exit') {
      void exit();
      return;
    }
    void (async () => {
      try {
        const handler = command.op === 'cpu' ? () => process.cpuUsage() : handlers[command.op];
        if (!handler) throw new Error(`unknown command ${command.op}`);
        process.send?.({ seq, reply: await handler(command) } satisfies ReplyEnvelope);
      } catch (err) {
        process.send?.({ seq, error: (err as Error).stack ?? String(err) } satisfies ReplyEnvelope);
      }
    })();
  });
}
