import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The command in its own process, as an operator runs it: from source
 * through tsx, so that no test waits for (or races with) a build. The
 * built and installed command is run by test/package/pack.sh.
 */
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** How a run ended, and what it printed. */
export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link run}. */
export interface RunOptions {
  /** Variables added to this process's environment (the RAFT_MEMBERSHIP_* ones are removed first). */
  readonly env?: Record<string, string>;
  /** Called once the process is running, with a way to signal it. */
  readonly started?: (kill: (signal: NodeJS.Signals) => void) => void;
}

/** Runs `raft-membership ARGS…`; a hung run is killed after 20 s. */
export function run(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RAFT_MEMBERSHIP_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    options.started?.((signal) => child.kill(signal));
  });
}
