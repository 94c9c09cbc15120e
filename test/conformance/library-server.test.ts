import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClusterMember } from '../../reference/cluster-member.js';
import { Outcome, RemoteError, TcpChanger, UnsupportedRequestError, runServerConformance } from '../../src/index.js';
import { waitFor } from '../reference/support/cluster.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { LIMITS, PENDING, failures, named } from './support/expectations.js';

// The library's server against the cases that need a setup of their own.

const use = useCleanup();
const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));

describe('the library\'s server, set up for the cases that need more', () => {
  it('passes the preamble and authentication cases with a secret, a cluster name and TLS', async () => {
    const secret = 'sécret ✓';
    const member = use(
      await ClusterMember.start({ id: 'n1', bootstrap: true, secret, clusterName: 'prod', electionTimeoutMs: 300, server: { ...LIMITS, tls: { cert: fixture('server.crt'), key: fixture('server.key') } } }),
      (m) => m.close(),
    );
    member.server.serveConfiguration(member.raft);
    await waitFor(() => member.raft.state() === 'leader', 'n1 to lead', 15_000);
    const report = await runServerConformance(member.address, {
      secret,
      clusterName: 'prod',
      tls: { ca: fixture('ca.crt') },
      ...LIMITS,
      only: ['hello.', 'auth.', 'preamble.', 'raft.accepted', 'frame.byte-by-byte', 'change.leave-absent'],
    });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toEqual(
      expect.arrayContaining(['hello.challenge', 'hello.challenge-raft-channel', 'hello.unnamed-to-named', 'preamble.deadline-auth', 'auth.accepted-with-proof', 'auth.proof-binds-hello', 'auth.wrong-secret']),
    );
    expect(named(report, Outcome.Skipped)).toEqual(['hello.accepted', 'hello.busy-raft-streams']);
  }, 60_000);

  it('hands raft-channel bytes to raft unread (an echoing raft)', async () => {
    const { server, address } = use(await serve(), (c) => c.close());
    const echo = use(new AbortController(), (c) => c.abort());
    void (async () => {
      for (;;) {
        const stream = await server.accept(echo.signal).catch(() => undefined);
        if (!stream) return;
        stream.on('error', () => undefined);
        stream.pipe(stream);
      }
    })();
    const report = await runServerConformance(address, { raftEcho: true, only: ['raft.'] });
    expect(report.results.map((r) => [r.name, r.outcome])).toEqual([
      ['raft.accepted', Outcome.Ok],
      ['raft.bytes-untouched', Outcome.Ok],
    ]);
  });

  it('answers a configuration too large for one response in pages (once MembershipServer pages)', async () => {
    const raft = new FakeRaft();
    for (let n = 0; n < 300; n++) raft.servers.set(`n${n}-${'x'.repeat(240)}`, { id: `n${n}-${'x'.repeat(240)}`, address: `192.0.2.${(n % 250) + 1}:${7000 + n}`, role: 'voter' });
    const { server, address } = use(await serve({}, raft), (c) => c.close());
    server.serveConfiguration(raft);
    const report = await runServerConformance(address, { only: ['members.'] });
    // Unpaged, every members answer is over 65536 bytes; the other members cases pass.
    const pending = [...PENDING.serverPages, 'members.answered', 'members.offset-nil'];
    expect(named(report, Outcome.Failed, Outcome.NonStrict).filter((name) => !pending.includes(name)), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toContain('members.offset-invalid');
  });

  // Issue 11, point 5: a configuration read that fails is the server's failure
  // (internal), not a kind of request it cannot answer (unsupported); the kit
  // lists the rule as errors.configuration-read-fails, which needs a raft that fails.
  it('answers members with internal when its raft fails to read the configuration, unsupported when it serves none', async () => {
    const { server, address } = use(await serve(), (c) => c.close());
    const changer = use(new TcpChanger(), (c) => c.close());
    server.serveConfiguration({ state: () => 'leader', leader: () => address, configuration: () => Promise.reject(new Error('disk on fire')) });
    await expect(changer.members(address, 2_000)).rejects.toMatchObject({ constructor: RemoteError, wireCode: 'internal', message: 'server error internal: internal error' });
    server.serveConfiguration(undefined);
    await expect(changer.members(address, 2_000)).rejects.toBeInstanceOf(UnsupportedRequestError);
  });
});
