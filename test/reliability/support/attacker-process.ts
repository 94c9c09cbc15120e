import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AttackPlan, AttackReport } from './hostile-attacker.js';

/** A running attacker process (`hostile-attacker.ts`). */
export interface AttackerProcess {
  /** Its latest report. */
  readonly report: AttackReport;
  /** Waits until `done(report)` holds, at most `timeoutMs`. */
  until(done: (report: AttackReport) => boolean, timeoutMs?: number): Promise<AttackReport>;
  /** Kills it and waits for it to exit. */
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./hostile-attacker.ts', import.meta.url));

/** Starts an attacker in a process of its own, so that its CPU and sockets are not the server's. */
export async function startAttacker(plan: AttackPlan): Promise<AttackerProcess> {
  const child: ChildProcess = fork(SCRIPT, [JSON.stringify(plan)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let report: AttackReport = { accepted: 0, refused: 0, written: 0 };
  let wake: (() => void) | undefined;
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (started = resolve));
  child.on('message', (message) => {
    report = message as AttackReport;
    started();
    wake?.();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const attacker: AttackerProcess = {
    get report() {
      return report;
    },
    async until(done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(report)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`attacker did not get there: ${JSON.stringify(report)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      return report;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  // Its first report says it is running (tsx takes a moment to start).
  const startup = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await Promise.race([running, exited]);
  clearTimeout(startup);
  if (child.exitCode !== null || child.signalCode !== null) throw new Error('attacker process exited before it started');
  return attacker;
}
