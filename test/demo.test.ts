import { execFile, spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run as runCli } from './cli/cli-process.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The command line of every process running in this checkout, from /proc (no
 * ps needed): another checkout's demo on the same machine is not ours to count.
 */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (`${readlinkSync(`/proc/${pid}/cwd`)}/` !== root) continue;
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      // the process ended while we looked
    }
  }
  return lines;
}

describe('npm run demo', () => {
  it('builds a cluster of processes, shows a redirect, changes leaders, exits 0 and leaves no process behind', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'demo/cluster.ts'], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/"via" lists the seeds given to join, tried in turn/);
    // Each change says what the client did: asked a leader, or followed a follower's redirect.
    const changes = [...stdout.matchAll(/^ {2}(n\d) (joined|left) via (n\d(?:, n\d)*) in [\d.]+ ms, configuration index \d+\n((?: {5}.+\n)+)/gm)];
    expect(changes.map((m) => `${m[1]} ${m[2]} via ${m[3]}`).slice(0, 4)).toEqual(['n2 joined via n1', 'n3 joined via n2', 'n4 joined via n3', 'n5 joined via n4, n2']);
    expect(changes).toHaveLength(6);
    for (const [, , , via, explained] of changes) {
      expect(explained).toMatch(/^ {5}(n\d is the leader: it answered itself|n\d is a follower: it answered with the leader's address, and the client asked n\d|an attempt failed .+)\n/);
      if (/^ {5}n\d is/.test(explained!)) expect(via!.split(', ')).toContain(explained!.trim().slice(0, 2));
    }
    // n3, n4 and n5 each asked a follower unless leadership moved to it: a redirect really happens.
    expect(changes.slice(1, 4).some(([, , , , explained]) => / is a follower: it answered with the leader's address, and the client asked n\d/.test(explained!))).toBe(true);
    expect(stdout).toMatch(/new leader: n\d/);
    expect(stdout).toMatch(/done in [\d.]+ s: 3 servers agree on/);
    expect(stdout).not.toMatch(/Ctrl-C/);
    // Every member process has exited: none is left holding a port.
    expect(commandLines().filter((line) => line.includes('demo/member.ts'))).toEqual([]);
  }, 70_000);

  it('with --keep, stays up serving members, prints command lines that work, and stops on Ctrl-C', async () => {
    const demo = spawn(process.execPath, ['--import', 'tsx', 'demo/cluster.ts', '--keep'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => demo.kill('SIGKILL'), 90_000);
    let stdout = '';
    let stderr = '';
    demo.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => demo.once('close', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        demo.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('Ctrl-C stops every server')) resolve();
        });
        void exited.then((code) => reject(new Error(`the demo exited (${code}) before it was up:\n${stdout}\n${stderr}`)));
      });
      const commands = [...stdout.matchAll(/^ {5}npx tsx src\/cli\/main\.ts (.+)$/gm)].map((m) => m[1]!.split(' '));
      expect(commands.map((args) => args[0])).toEqual(['members', 'join', 'members', 'ping', 'leave']);
      const results = [];
      for (const args of commands) results.push(await runCli(args));
      for (const [i, result] of results.entries()) expect(result, commands[i]!.join(' ')).toMatchObject({ code: 0, stderr: '' });
      const [, spareId, spareAddress] = /--id (\S+) --address (\S+)/.exec(commands[1]!.join(' '))!;
      expect(results[1]!.stdout).toMatch(new RegExp(`^joined: ${spareId} at ${spareAddress} is a voter of the cluster`));
      const up = /the cluster stays up until Ctrl-C: (.+)\n/.exec(stdout)![1]!;
      const ids = [...up.matchAll(/(n\d) at /g)].map((m) => m[1]!);
      expect(ids).toHaveLength(3);
      const listed = JSON.parse(results[2]!.stdout) as { members: { id: string }[] };
      expect(listed.members.map((m) => m.id).sort()).toEqual([...ids, spareId].sort());
      expect(results[4]!.stdout).toMatch(new RegExp(`^left: ${spareId} is no longer in the cluster`));
    } finally {
      demo.kill('SIGINT');
      const code = await exited;
      clearTimeout(killer);
      expect(stderr).toBe('');
      expect(code).toBe(0);
    }
    expect(stdout).toMatch(/stopping every server\n$/);
    expect(commandLines().filter((line) => line.includes('demo/member.ts'))).toEqual([]);
  }, 100_000);
});
