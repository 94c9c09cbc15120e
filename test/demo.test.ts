import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every process's command line, from /proc (no ps needed). */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

describe('npm run demo', () => {
  it('builds a cluster of processes, changes leaders, exits 0 and leaves no process behind', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'demo/cluster.ts'], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/n3 joined via n2/);
    expect(stdout).toMatch(/new leader: n[2-5]/);
    expect(stdout).toMatch(/done in [\d.]+ s: 3 servers agree on/);
    // Every member process has exited: none is left holding a port.
    expect(commandLines().filter((line) => line.includes('demo/member.ts'))).toEqual([]);
  }, 70_000);
});
