/**
 * ClusterMembers in processes of their own (./member-process.ts), with
 * durable state in a directory each, for tests that kill them with SIGKILL
 * and start them again on the same port and directory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAddress } from '../../../src/index.js';
import type { MemberStatus } from './member-process.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = 'test/reference/support/member-process.ts';
/** Starting a process under tsx takes a while on a loaded 2-core machine. */
const START_MS = 30_000;
const STATUS_MS = 5_000;

/** One member process: started, asked for its status, killed. */
export class MemberProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, (status: MemberStatus) => void>();
  readonly #exited: Promise<void>;
  #seq = 0;

  private constructor(
    readonly id: string,
    readonly address: string,
    readonly dataDir: string,
    child: ChildProcess,
    exited: Promise<void>,
  ) {
    this.#child = child;
    this.#exited = exited;
    child.on('message', (message: { seq?: number; status?: MemberStatus }) => {
      if (message.seq === undefined || !message.status) return;
      this.#waiting.get(message.seq)?.(message.status);
      this.#waiting.delete(message.seq);
    });
  }

  /** The port this member listens on (a restart passes it again). */
  get port(): number {
    return parseAddress(this.address).port;
  }

  /** Starts `id` on `port` (0: a free one) with its state in `dataDir`. */
  static start(id: string, port: number, dataDir: string, bootstrap = false): Promise<MemberProcess> {
    const child = fork(SCRIPT, [id, String(port), dataDir, ...(bootstrap ? ['bootstrap'] : [])], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${id} did not start within ${START_MS} ms`));
      }, START_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${id} exited before it was ready (code ${code}, signal ${signal})`));
      });
      child.once('message', (message: { ready?: boolean; address?: string }) => {
        clearTimeout(timer);
        if (!message.ready || !message.address) return reject(new Error(`${id} sent ${JSON.stringify(message)} first`));
        resolve(new MemberProcess(id, message.address, dataDir, child, exited));
      });
    });
  }

  /** The member's raft state as it reports it. */
  status(): Promise<MemberStatus> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        reject(new Error(`${this.id} did not report its status within ${STATUS_MS} ms`));
      }, STATUS_MS);
      this.#waiting.set(seq, (status) => {
        clearTimeout(timer);
        resolve(status);
      });
      this.#child.send({ op: 'status', seq });
    });
  }

  /** SIGKILL: no chance to flush or close anything. Resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
  }
}
