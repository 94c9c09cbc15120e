/**
 * The conductor's handle on one member process: starts it, asks it things
 * over IPC with a bounded wait, and stops it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Reply, Status } from './protocol.js';

/** A command before the conductor numbers it. */
type Unnumbered = Command extends infer C ? (C extends Command ? Omit<C, 'seq'> : never) : never;

/** How long a member has to start, and to answer each command. */
export const STEP_TIMEOUT_MS = 15_000;
const memberScript = fileURLToPath(new URL('./member.ts', import.meta.url));

/** One member process and its request/reply channel. */
export class MemberProcess {
  readonly id: string;
  address = '';
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (reply: Reply) => void>();
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  #seq = 0;

  constructor(id: string, bootstrap: boolean) {
    this.id = id;
    this.#child = fork(memberScript, bootstrap ? [id, 'bootstrap'] : [id], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.#child.once('exit', (code) => resolve(code)));
    this.ready = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${id} did not start within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${id} exited with code ${code} before it was ready`));
      });
      this.#child.on('message', (reply: Reply) => {
        if (reply.op === 'ready') {
          clearTimeout(timer);
          this.address = reply.address;
          resolve();
          return;
        }
        this.#waiting.get(reply.seq)?.(reply);
      });
    });
  }

  /** Sends a command; resolves to its reply, or rejects after the step timeout. */
  ask(command: Unnumbered): Promise<Reply> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        reject(new Error(`${this.id} did not answer ${command.op} within ${STEP_TIMEOUT_MS} ms`));
      }, STEP_TIMEOUT_MS);
      this.#waiting.set(seq, (reply) => {
        clearTimeout(timer);
        this.#waiting.delete(seq);
        resolve(reply);
      });
      this.#child.send({ ...command, seq } as Command);
    });
  }

  async status(): Promise<Status> {
    const reply = await this.ask({ op: 'status' });
    if (reply.op !== 'status') throw new Error(`${this.id}: unexpected reply ${reply.op}`);
    return reply.status;
  }

  /** Asks the member to stop (it closes its server and exits); kills it if it does not in time. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    if (this.#child.connected) this.#child.disconnect();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}
