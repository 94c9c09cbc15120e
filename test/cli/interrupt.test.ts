import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { useCleanup } from '../support/cleanup.js';
import { run } from './cli-process.js';

const use = useCleanup();

/** A server that accepts connections and never answers; resolves each time one arrives. */
async function silentServer(): Promise<{ address: string; connected: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let arrived: (() => void) | undefined;
  const server = createServer((socket) => {
    sockets.add(socket.on('error', () => undefined));
    arrived?.();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  use(server, (s) => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => s.close(resolve));
  });
  const { port } = server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, connected: () => new Promise((resolve) => (arrived = resolve)) };
}

describe('raft-membership interrupted', () => {
  it('Ctrl-C during a join: exit 130, and the JSON object says the change may still commit', async () => {
    const silent = await silentServer();
    const connected = silent.connected();
    const started = Date.now();
    const result = await run(['join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', silent.address, '--timeout', '60s', '--json'], {
      started: (kill) => void connected.then(() => kill('SIGINT')),
    });
    expect(result.code).toBe(130);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      ok: false,
      command: 'join',
      exitCode: 130,
      error: {
        name: 'InterruptedError',
        code: 'ERR_INTERRUPTED',
        message: 'interrupted by SIGINT before the cluster answered: the join may still commit; running the same command again is safe',
      },
    });
    // It stopped waiting at once, not at the 60 s deadline.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('SIGTERM during a leave: exit 143, and the words say the change may still commit', async () => {
    const silent = await silentServer();
    const connected = silent.connected();
    const result = await run(['leave', '--id', 'n2', '--target', silent.address, '--timeout', '60s'], {
      started: (kill) => void connected.then(() => kill('SIGTERM')),
    });
    expect(result.code).toBe(143);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'raft-membership leave: terminated: interrupted by SIGTERM before the cluster answered\n  the leave may still commit; running the same command again is safe\n',
    );
  });

  it('Ctrl-C during members or ping: exit 130, with nothing said of a change', async () => {
    for (const command of ['members', 'ping']) {
      const silent = await silentServer();
      const connected = silent.connected();
      const result = await run([command, '--target', silent.address, '--timeout', '60s'], {
        started: (kill) => void connected.then(() => kill('SIGINT')),
      });
      expect(result.code, command).toBe(130);
      expect(result.stderr).toBe(`raft-membership ${command}: interrupted: interrupted by SIGINT before the cluster answered\n`);
    }
  });
});
