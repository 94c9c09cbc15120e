import { execFile } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DiagnosticsChannel, MembershipServer, TcpChanger, type ClientConnectionOpenEvent, type LogFields, type Logger } from '../../src/index.js';
import { useChannelRecorder } from '../support/channel-recorder.js';
import { useCleanup } from '../support/cleanup.js';
import { silentServer } from '../support/dead-ends.js';
import { serve } from '../support/membership-fixture.js';

// Node's idioms (issue 10 §3) on the client: a close() that settles when
// its sockets have, Symbol.asyncDispose, NODE_DEBUG, and a logger of the
// shape pino and bunyan have.

const use = useCleanup();
const SELF = '127.0.0.1:7999';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const record = useChannelRecorder();

/**
 * The sockets the client opens during a test, and those that emitted
 * 'close' (`socket.closed` is no proof: destroy() sets it before the
 * handle is closed).
 */
function openedSockets(): { readonly sockets: Socket[]; readonly closeEmitted: Set<Socket> } {
  const events = record<ClientConnectionOpenEvent>(DiagnosticsChannel.ClientConnectionOpen);
  const closeEmitted = new Set<Socket>();
  return {
    get sockets() {
      const sockets = events.map((event) => event.socket);
      for (const socket of sockets) socket.once('close', () => closeEmitted.add(socket));
      return sockets;
    },
    closeEmitted,
  };
}

describe('closing a TcpChanger', () => {
  it('close() settles once every socket has closed, a dial under way included, and never rejects', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const hole = await silentServer(use);
    const opened = openedSockets();
    const client = new TcpChanger({ address: SELF, connectionsPerTarget: 2 });
    await Promise.all([client.join('n1', cluster.address, 2_000), client.join('n2', cluster.address, 2_000)]);
    const raftStream = await client.dial(cluster.address, 2_000);
    const stalled = client.dial(hole.address, 5_000).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const membership = opened.sockets.filter((socket) => socket !== raftStream);
    expect(membership.length).toBeGreaterThanOrEqual(1);
    const closing = client.close();
    expect(closing).toBeInstanceOf(Promise);
    expect(client.close()).toBe(closing);
    await closing;
    expect(membership.filter((socket) => !opened.closeEmitted.has(socket))).toEqual([]);
    expect(await stalled).toMatchObject({ code: 'ERR_SHUTTING_DOWN' });
    // A raft stream handed out is the caller's, and stays open.
    expect(raftStream.closed).toBe(false);
    raftStream.destroy();
  });

  it('Symbol.asyncDispose closes it, for `await using`', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const opened = openedSockets();
    const client = new TcpChanger({ address: SELF });
    await client.join('n1', cluster.address, 2_000);
    await client[Symbol.asyncDispose]();
    expect(opened.sockets.length).toBe(1);
    expect(opened.sockets[0]!.closed).toBe(true);
    await expect(client.leave('n1', cluster.address, 1_000)).rejects.toMatchObject({ code: 'ERR_SHUTTING_DOWN' });
  });
});

describe('logging', () => {
  /** A logger with pino's signature, `(fields, message)`, that keeps what it is given. */
  function pinoShaped(): Logger & { entries: Array<[string, LogFields, string]> } {
    const entries: Array<[string, LogFields, string]> = [];
    const at = (level: string) =>
      function (this: unknown, fields: LogFields, message: string): void {
        // pino's methods use `this`: the library must call them as methods.
        expect(this).toBe(logger);
        entries.push([level, fields, message]);
      };
    const logger = { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
    return logger;
  }

  it('hands a pino-shaped logger its fields first, then the message, as methods', async () => {
    const clientLogger = pinoShaped();
    const serverLogger = pinoShaped();
    const cluster = use(await serve({ logger: serverLogger, maxConnections: 1 }), (c) => c.close());
    const client = use(new TcpChanger({ address: SELF, logger: clientLogger }), (c) => c.close());
    await client.join('n1', cluster.address, 2_000);
    expect(clientLogger.entries).toContainEqual(['debug', { target: cluster.address }, 'dialing']);
    const other = use(new TcpChanger({ logger: clientLogger, minBackoffMs: 5, maxBackoffMs: 20 }), (c) => c.close());
    await other.members(cluster.address, 200).catch(() => undefined);
    expect(serverLogger.entries).toContainEqual(['warn', { remote: '127.0.0.1', refused: 1 }, 'connection refused: too many connections']);
    expect(clientLogger.entries.some(([level, fields, message]) => level === 'debug' && message === 'attempt failed, backing off' && typeof fields['error'] === 'string')).toBe(true);
  });

  it('takes console as it is', () => {
    expect(() => use(new MembershipServer({ logger: console }), (s) => s.close())).not.toThrow();
  });

  /** Runs the child script, with `env` added, and returns what it wrote. */
  function runChild(env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', 'test/client/support/debug-child.ts'], { cwd: ROOT, timeout: 30_000, env: { ...process.env, NODE_DEBUG: '', ...env } }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { stderr })) : resolve({ stdout, stderr }),
      );
    });
  }

  it('NODE_DEBUG=raft-membership shows what the library does, with no logger configured', async () => {
    const [quiet, debugging] = await Promise.all([runChild({}), runChild({ NODE_DEBUG: 'raft-membership' })]);
    expect(quiet.stdout).toBe('done\n');
    expect(quiet.stderr).not.toMatch(/RAFT-MEMBERSHIP/);
    expect(debugging.stdout).toBe('done\n');
    expect(debugging.stderr).toMatch(/^RAFT-MEMBERSHIP \d+: debug dialing \{ target: '127\.0\.0\.1:\d+' \}$/m);
    expect(debugging.stderr).toMatch(/^RAFT-MEMBERSHIP \d+: warn connection refused: too many connections \{ remote: '127\.0\.0\.1', refused: 1 \}$/m);
  }, 60_000);
});
