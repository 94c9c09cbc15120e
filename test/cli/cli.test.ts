import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChangeRejectedError, MembershipServer } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { run as runCli, type Run } from './cli-process.js';

const use = useCleanup();

const run = (...args: string[]): Promise<Run> => runCli(args);

async function cluster(raft = new FakeRaft({ nonvoters: true })) {
  const served = use(await serve({}, raft), (c) => c.close());
  served.server.serveConfiguration(raft);
  return served;
}

describe('raft-membership (the command)', () => {
  it('joins and leaves, saying so in words', async () => {
    const { address, raft } = await cluster();
    const joined = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--role', 'nonvoter');
    expect(joined).toMatchObject({ code: 0, stderr: '' });
    expect(joined.stdout).toBe('joined: n2 at 127.0.0.1:7002 is a nonvoter of the cluster (configuration index 2)\n');
    expect(raft.servers.get('n2')).toEqual({ id: 'n2', address: '127.0.0.1:7002', role: 'nonvoter' });

    const left = await run('leave', '--id', 'n2', '--target', `127.0.0.1:1,${address}`);
    expect(left).toMatchObject({ code: 0, stdout: 'left: n2 is no longer in the cluster (configuration index 3)\n' });
    expect(raft.servers.has('n2')).toBe(false);
  });

  it('prints one JSON object with --json', async () => {
    const { address } = await cluster();
    const joined = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--json');
    expect(joined.code).toBe(0);
    expect(JSON.parse(joined.stdout)).toEqual({
      ok: true,
      command: 'join',
      id: 'n2',
      address: '127.0.0.1:7002',
      role: 'voter',
      requested: { address: '127.0.0.1:7002', role: 'voter' },
      index: 2,
    });
  });

  it('exits 1 when the cluster refuses, with its reason', async () => {
    const raft = new FakeRaft();
    raft.failNext = new ChangeRejectedError('address 127.0.0.1:7002 belongs to n1');
    const { address } = await cluster(raft);
    const refused = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe('raft-membership join: refused: address 127.0.0.1:7002 belongs to n1\n');

    raft.failNext = new ChangeRejectedError('no');
    const json = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, command: 'join', exitCode: 1, error: { code: 'ERR_CHANGE_REJECTED', message: 'no' } });
  });

  it('exits 3 for a server that failed in a way it does not explain', async () => {
    const raft = new FakeRaft();
    raft.failNext = new Error('disk full');
    const { address } = await cluster(raft);
    const failed = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--json');
    expect(failed.code).toBe(3);
    // The server keeps the detail to itself: the client learns only that it was internal.
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, exitCode: 3, error: { code: 'ERR_REMOTE', message: 'server error internal: internal error' } });
  });

  it('exits 1 for a wrong cluster name, and for a non-voter join to a raft without non-voters', async () => {
    const { address } = await cluster(new FakeRaft());
    const wrong = await run('leave', '--id', 'n2', '--target', address, '--cluster', 'other');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused: peer refused the connection: wrong_cluster/);
    const role = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--role', 'nonvoter');
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/cannot add a server as nonvoter/);
  });

  it('exits 2 when no answer comes in time', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    use(silent, (s) => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => s.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const started = Date.now();
    const result = await run('leave', '--id', 'n2', '--target', `127.0.0.1:${port}`, '--timeout', '300ms');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^raft-membership leave: timed out: leave of n2 did not complete within 300 ms/);
    expect(result.stderr).toMatch(/running the same command again is safe/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const json = await run('members', '--target', `127.0.0.1:${port}`, '--timeout', '200ms', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, command: 'members', exitCode: 2, error: { code: 'ERR_MEMBERSHIP_TIMEOUT' } });
  });

  it.each([
    ['no command', [], /^Usage: raft-membership <command>/, 'stdout'],
    ['an unknown command', ['frob'], /unknown command "frob"/, 'stderr'],
    ['a missing --id', ['join', '--address', '127.0.0.1:1', '--target', '127.0.0.1:2'], /bad usage: --id is required\n {2}see: raft-membership join --help/, 'stderr'],
    ['a bad address', ['join', '--id', 'a', '--address', 'nope', '--target', '127.0.0.1:2'], /--address: invalid server address "nope"/, 'stderr'],
    ['a bad target', ['members', '--target', '127.0.0.1:2,x'], /--target: invalid server address "x"/, 'stderr'],
    ['an unknown option', ['ping', '--target', '127.0.0.1:2', '--colour'], /Unknown option '--colour'/, 'stderr'],
    ['a bad timeout', ['ping', '--target', '127.0.0.1:2', '--timeout', 'soon'], /--timeout must be a duration/, 'stderr'],
    ['a bad role', ['join', '--id', 'a', '--address', '127.0.0.1:1', '--target', '127.0.0.1:2', '--role', 'boss'], /--role must be voter or nonvoter/, 'stderr'],
    ['a cert without a key', ['leave', '--id', 'a', '--target', '127.0.0.1:2', '--tls-cert', 'c.pem'], /--tls-cert and --tls-key go together/, 'stderr'],
    ['a missing secret file', ['leave', '--id', 'a', '--target', '127.0.0.1:2', '--secret-file', '/nonexistent/secret'], /cannot read \/nonexistent\/secret: ENOENT/, 'stderr'],
  ])('exits 64 for %s', async (_name, args, message, stream) => {
    const result = await run(...args);
    expect(result.code).toBe(64);
    expect(result[stream as 'stdout' | 'stderr']).toMatch(message);
  });

  it('reports bad usage as JSON with --json', async () => {
    const result = await run('leave', '--target', '127.0.0.1:2', '--json');
    expect(result.code).toBe(64);
    expect(JSON.parse(result.stdout)).toEqual({ ok: false, command: 'leave', exitCode: 64, error: { name: 'UsageError', code: 'ERR_USAGE', message: '--id is required' } });
  });

  it('pings: protocol version, channel and round trip', async () => {
    const { address } = await cluster();
    const result = await run('ping', '--target', address);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${address}: protocol version 1, membership channel accepted in [\\d.]+ ms; round trip [\\d.]+ ms \\(the leader answered\\)\\n$`));
    const json = await run('ping', '--target', address, '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      command: 'ping',
      results: [{ target: address, version: 1, channel: 'membership', handshakeMs: expect.any(Number), roundTripMs: expect.any(Number), answer: 'ok' }],
    });
    const refused = await run('ping', '--target', '127.0.0.1:1');
    expect(refused.code).toBe(1);
  });

  it('prints the members as the leader knows them, through a follower, and marks the leader', async () => {
    const leaderRaft = new FakeRaft();
    const leader = await cluster(leaderRaft);
    leaderRaft.servers.set('n1', { id: 'n1', address: leader.address, role: 'voter' });
    leaderRaft.servers.set('node-22', { id: 'node-22', address: '127.0.0.1:7022', role: 'nonvoter' });
    const followerRaft = new FakeRaft();
    Object.assign(followerRaft, { currentState: 'follower', leaderAddress: leader.address });
    const follower = await cluster(followerRaft);

    const table = await run('members', '--target', follower.address);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const width = Math.max(leader.address.length, '127.0.0.1:7022'.length);
    expect(table.stdout).toBe(
      [
        `ID       ${'ADDRESS'.padEnd(width)}  ROLE      LEADER`,
        `n1       ${leader.address.padEnd(width)}  voter     yes`,
        `node-22  ${'127.0.0.1:7022'.padEnd(width)}  nonvoter`,
        '2 servers, 1 voters, leader n1',
        '',
      ].join('\n'),
    );
    const json = await run('members', '--target', follower.address, '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      command: 'members',
      leader: { id: 'n1', address: leader.address },
      members: [
        { id: 'n1', address: leader.address, role: 'voter' },
        { id: 'node-22', address: '127.0.0.1:7022', role: 'nonvoter' },
      ],
    });
  });

  it('exits 1 for members when the server does not serve its configuration', async () => {
    // No raft consumes its requests, so it knows no configuration to serve.
    const plain = use(new MembershipServer(), (s) => s.close());
    const result = await run('members', '--target', await plain.listen());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/refused: this server does not serve its configuration/);
  });

  it('explains itself with --help and help COMMAND', async () => {
    for (const args of [['--help'], ['join', '--help'], ['help', 'members'], ['ping', '-h'], ['leave', '--help']]) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/Examples:\n {2}raft-membership /);
    }
    expect((await run('--version')).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('agrees with the README on its commands, exit codes, variables and timeout bounds', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const section = readme.slice(readme.indexOf('## The `raft-membership` command'), readme.indexOf('\n## ', readme.indexOf('## The `raft-membership` command') + 1));
    const help = (await run('--help')).stdout;
    const commands = (text: string): string[] => [...new Set([...text.matchAll(/^ *raft-membership (join|leave|members|ping) /gm)].map((m) => m[1]!))].sort();
    expect(commands(section)).toEqual(['join', 'leave', 'members', 'ping']);
    expect(commands(help)).toEqual(commands(section));
    const helpCodes = [...help.slice(help.indexOf('Exit codes:'), help.indexOf('Environment:')).matchAll(/\b(\d{1,3})\b(?= |,)/g)].map((m) => Number(m[1]));
    const readmeCodes = [...section.matchAll(/^\| (\d+)(?:, (\d+))? \|/gm)].flatMap((m) => [m[1], m[2]].filter(Boolean).map(Number));
    expect(new Set(helpCodes)).toEqual(new Set(readmeCodes));
    const variables = (text: string): string[] => [...new Set(text.match(/RAFT_MEMBERSHIP_[A-Z_]+/g))].sort();
    expect(variables(help)).toEqual(variables(section));
    const joinHelp = (await run('join', '--help')).stdout;
    expect(joinHelp).toMatch(/100ms to 24h/);
    expect(section).toMatch(/from `100ms` to `24h`/);
  });
});

describe('raft-membership over TLS and with a shared secret', () => {
  const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/tls/${name}`, import.meta.url));
  const serverTls = { key: readFileSync(fixture('server.key')), cert: readFileSync(fixture('server.crt')) };
  const mutualTls = { ...serverTls, ca: readFileSync(fixture('ca.crt')), requestCert: true, rejectUnauthorized: true };
  const ca = ['--tls-ca', fixture('ca.crt')];
  const clientCert = ['--tls-cert', fixture('client.crt'), '--tls-key', fixture('client.key')];

  async function tlsCluster(tls: TlsOptions, raft = new FakeRaft()) {
    const served = use(await serve({ tls }, raft), (c) => c.close());
    served.server.serveConfiguration(raft);
    return served;
  }

  function secretFile(content: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'raft-membership-cli-'));
    use(dir, (d) => rmSync(d, { recursive: true, force: true }));
    const path = join(dir, 'secret');
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  it('joins and lists the members over TLS, trusting --tls-ca', async () => {
    const { address, raft } = await tlsCluster(serverTls);
    const joined = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, ...ca);
    expect(joined).toEqual({ code: 0, stdout: 'joined: n2 at 127.0.0.1:7002 is a voter of the cluster (configuration index 2)\n', stderr: '' });
    expect(raft.servers.get('n2')).toEqual({ id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
    const listed = await run('members', '--target', address, ...ca, '--json');
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout)).toMatchObject({ ok: true, command: 'members', members: [{ id: 'n2', address: '127.0.0.1:7002', role: 'voter' }] });
  });

  it('reaches a TLS server named localhost, with no warning', async () => {
    const { address } = await tlsCluster(serverTls);
    const port = address.slice(address.lastIndexOf(':') + 1);
    const listed = await run('members', '--target', `localhost:${port}`, ...ca);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
  });

  it('exits 1 when it does not trust the server certificate', async () => {
    const { address } = await tlsCluster(serverTls);
    const result = await run('members', '--target', address, '--tls-ca', fixture('server.crt'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^raft-membership members: refused: /);
    expect(result.stderr).not.toMatch(/Warning/);
  });

  it('exits 1 at once, naming the mismatch, for TLS on one side only', async () => {
    // --tls-ca against a plain server: OpenSSL's words alone, and exit 3, before.
    const plain = await cluster();
    const tlsToPlain = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', plain.address, ...ca, '--timeout', '20s');
    expect(tlsToPlain).toMatchObject({ code: 1, stdout: '' });
    expect(tlsToPlain.stderr).toMatch(/^raft-membership join: refused: .*does not speak TLS/);
    expect(plain.raft.servers.has('n2')).toBe(false);
    // No --tls-ca against a TLS server: retried to the deadline, and exit 2, before.
    const { address } = await tlsCluster(serverTls);
    const plainToTls = await run('members', '--target', address, '--timeout', '20s', '--json');
    expect(plainToTls.code).toBe(1);
    expect(JSON.parse(plainToTls.stdout)).toMatchObject({ ok: false, exitCode: 1, error: { code: 'ERR_TLS_MISMATCH' } });
  });

  it('passes mutual TLS with --tls-cert and --tls-key', async () => {
    const { address, raft } = await tlsCluster(mutualTls);
    const joined = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, ...ca, ...clientCert);
    expect(joined).toMatchObject({ code: 0, stderr: '' });
    expect(raft.servers.has('n2')).toBe(true);
    const listed = await run('members', '--target', address, ...ca, ...clientCert);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^n2 +127\.0\.0\.1:7002 +voter$/m);
  });

  it('exits 1 when a mutual TLS server wants a client certificate it was not given', async () => {
    const { address, raft } = await tlsCluster(mutualTls);
    const joined = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, ...ca, '--timeout', '3s');
    expect(joined.code).toBe(1);
    expect(joined.stdout).toBe('');
    expect(joined.stderr).toMatch(/^raft-membership join: refused: /);
    expect(joined.stderr).not.toMatch(/Warning/);
    expect(raft.servers.has('n2')).toBe(false);
    const json = await run('members', '--target', address, ...ca, '--timeout', '3s', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, command: 'members', exitCode: 1 });
  });

  it('proves the secret of --secret-file, ignoring one trailing newline', async () => {
    const { address, raft } = use(await serve({ secret: 's3cret' }), (c) => c.close());
    const joined = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--secret-file', secretFile('s3cret\n'));
    expect(joined).toMatchObject({ code: 0, stderr: '' });
    expect(raft.servers.has('n2')).toBe(true);
  });

  it('exits 1 for a wrong secret, and for none', async () => {
    const { address, raft } = use(await serve({ secret: 's3cret' }), (c) => c.close());
    const wrong = await run('join', '--id', 'n2', '--address', '127.0.0.1:7002', '--target', address, '--secret-file', secretFile('guess\n'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^raft-membership join: refused: peer refused the connection: auth_failed/);
    expect(wrong.stderr).not.toMatch(/Warning/);
    const none = await run('leave', '--id', 'n2', '--target', address);
    expect(none.code).toBe(1);
    expect(raft.servers.has('n2')).toBe(false);
  });
});
