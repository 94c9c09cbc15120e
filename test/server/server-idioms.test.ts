import { spawn, type ChildProcess } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DiagnosticsChannel,
  MembershipServer,
  ServerAlreadyListeningError,
  ServerNotRunningError,
  TcpChanger,
  type Logger,
  type ServerConnectionOpenEvent,
} from '../../src/index.js';
import { decodeResponse, encodeHello, encodeRequest } from '../../src/protocol/index.js';
import { Channel } from '../../src/protocol/preamble.js';
import { useCleanup } from '../support/cleanup.js';
import { RawPeer, membershipPeer } from '../support/raw-peer.js';

const use = useCleanup();

/** The `net.Server` under a MembershipServer, reached as Node's accepted sockets reach it (`socket.server`). */
async function netServerOf(address: string): Promise<Server> {
  let accepted: Socket | undefined;
  const onOpen = (event: unknown): void => {
    accepted ??= (event as ServerConnectionOpenEvent).socket;
  };
  subscribe(DiagnosticsChannel.ServerConnectionOpen, onOpen);
  try {
    const peer = await membershipPeer(address);
    peer.close();
  } finally {
    unsubscribe(DiagnosticsChannel.ServerConnectionOpen, onOpen);
  }
  const server = (accepted as (Socket & { server?: Server }) | undefined)?.server;
  if (server === undefined) throw new Error('no accepted socket seen');
  return server;
}

/** What Node's net.Server emits when accept() fails (lib/net.js onconnection). */
function acceptError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`accept ${code}`), { code, errno: -24, syscall: 'accept' });
}

async function stillServes(address: string): Promise<void> {
  const peer = use(await membershipPeer(address), (p) => p.close());
  peer.write(encodeRequest({ type: 'members', rid: 1 }));
  expect(decodeResponse(await peer.readFrame())).toMatchObject({ rid: 1, ok: false, code: 'unsupported' });
}

describe('MembershipServer as a Node server', () => {
  it('closes at the end of an `await using` block', async () => {
    let address: string;
    {
      await using server = new MembershipServer();
      address = await server.listen();
      await stillServes(address);
    }
    await expect(RawPeer.connect(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('throws coded errors for listen() twice and address() before listen()', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    expect(() => server.address()).toThrow(ServerNotRunningError);
    expect(() => server.address()).toThrow(expect.objectContaining({ code: 'ERR_SERVER_NOT_RUNNING' }));
    const listening = server.listen();
    await expect(server.listen()).rejects.toMatchObject({ name: 'ServerAlreadyListeningError', code: 'ERR_SERVER_ALREADY_LISTEN' });
    const address = await listening;
    await expect(server.listen()).rejects.toBeInstanceOf(ServerAlreadyListeningError);
    expect(server.address()).toBe(address);
  });

  it('checks the port and host given to listen(), and can listen after a refused one', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const listen = server.listen.bind(server) as (...args: unknown[]) => Promise<string>;
    await expect(listen(70_000)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: 'port must be an integer from 0 to 65535 (0: any free port), got 70000 (number)' });
    // net.Server would take a string that is not a number for a pipe's path, and bind it.
    await expect(listen('7000x')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^port must be .*, got "7000x" \(string\)$/) });
    await expect(listen('7000')).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    await expect(listen(0, 42)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/^host must be a non-empty string .*, got 42 \(number\)$/) });
    expect(() => server.address()).toThrow(ServerNotRunningError);
    await stillServes(await server.listen());
  });

  it('can listen again after a listen() that failed', async () => {
    const taken = use(createServer(), (s) => new Promise((resolve) => s.close(resolve)));
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    const server = use(new MembershipServer(), (s) => s.close());
    await expect(server.listen(port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(() => server.address()).toThrow(ServerNotRunningError);
    await stillServes(await server.listen());
  });

  it('emits a listening socket error as \'error\' when it has a listener, and keeps serving', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const address = await server.listen();
    const seen: Error[] = [];
    server.on('error', (err) => seen.push(err));
    const failure = acceptError('ENFILE');
    (await netServerOf(address)).emit('error', failure);
    expect(seen).toEqual([failure]);
    await stillServes(address);
  });

  it('without an \'error\' listener, only logs a listening socket error: it never throws', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { error: (fields, message) => logged.push({ message, fields }) };
    const server = use(new MembershipServer({ logger }), (s) => s.close());
    const address = await server.listen();
    (await netServerOf(address)).emit('error', acceptError('EMFILE'));
    expect(logged).toEqual([{ message: 'listening socket error', fields: { error: 'accept EMFILE', code: 'EMFILE' } }]);
    await stillServes(address);
  });

  it('survives a flood of connections past its file descriptor limit, in a process of its own, and serves again after', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/few-fds-server.ts', import.meta.url));
    const child = spawn('sh', ['-c', 'ulimit -n 64 && exec "$0" --import tsx "$1"', process.execPath, fixture], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    use(child, async (c: ChildProcess) => {
      c.stdin!.end();
      const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    });
    const address = await firstLineAddress(child);
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];

    const flood: Socket[] = [];
    let cut = 0;
    for (let i = 0; i < 150; i++) {
      const socket = connect({ host, port });
      socket.on('error', () => undefined);
      socket.once('connect', () => socket.write(encodeHello(Channel.Membership)));
      socket.once('close', () => (cut += 1));
      flood.push(socket);
    }
    use(flood, (sockets) => sockets.forEach((s) => s.destroy()));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Connections past the limit were accepted and cut at once: the limit was reached.
    expect(cut).toBeGreaterThan(0);
    for (const socket of flood) socket.destroy();

    const changer = use(new TcpChanger({ address: '127.0.0.1:7002' }), (c) => c.close());
    expect(await changer.join('n2', address, 10_000)).toBe(2);
    child.stdin!.end();
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/Error/);
  }, 30_000);
});

function firstLineAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child printed no address: ${out}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += String(chunk);
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { address: string }).address);
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited ${code} before listening`)));
  });
}
