import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClusterMember } from '../../reference/cluster-member.js';
import { MembershipServer, Outcome, RemoteError, TcpChanger, UnsupportedRequestError, handleChangeRequests, runServerConformance, type Raft } from '../../src/index.js';
import { waitFor } from '../reference/support/cluster.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { LIMITS, failures, named } from './support/expectations.js';

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

  it('answers a configuration too large for one response in pages', async () => {
    const raft = new FakeRaft();
    for (let n = 0; n < 300; n++) raft.servers.set(`n${n}-${'x'.repeat(240)}`, { id: `n${n}-${'x'.repeat(240)}`, address: `192.0.2.${(n % 250) + 1}:${7000 + n}`, role: 'voter' });
    const { address } = use(await serve({}, raft), (c) => c.close());
    const report = await runServerConformance(address, { only: ['members.'] });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toEqual(expect.arrayContaining(['members.pages', 'members.offset', 'members.offset-past-end']));
  });

  // Issue 11, point 4: a follower that could not read a configuration itself
  // answered members with unsupported, so dialers never reached the leader.
  it('answers members with unsupported on a leader whose raft reports no configuration, and different_leader on its followers', async () => {
    const leader = use(await serveRaft(withoutConfiguration(new FakeRaft())), (c) => c.close());
    const followerRaft = Object.assign(new FakeRaft(), { currentState: 'follower' as const, leaderAddress: leader.address });
    const follower = use(await serveRaft(withoutConfiguration(followerRaft)), (c) => c.close());
    const report = await runServerConformance(leader.address, { follower: follower.address, members: false, only: ['members.', 'redirect.'] });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toEqual(['members.unsupported', 'redirect.different-leader', 'redirect.leader-dialable', 'redirect.members', 'redirect.join']);
  });

  // Issue 11, point 5: a configuration read that fails is the server's failure
  // (internal), not a kind of request it cannot answer (unsupported); the kit
  // lists the rule as errors.configuration-read-fails, which needs a raft that fails.
  it('answers members with internal when its raft fails to read the configuration, unsupported when it reports none', async () => {
    const { server, address } = use(await serve(), (c) => c.close());
    const changer = use(new TcpChanger(), (c) => c.close());
    server.serveConfiguration({ state: () => 'leader', leader: () => address, configuration: () => Promise.reject(new Error('disk on fire')) });
    await expect(changer.members(address, 2_000)).rejects.toMatchObject({ constructor: RemoteError, wireCode: 'internal', message: 'server error internal: internal error' });
    const none = use(await serveRaft(withoutConfiguration(new FakeRaft())), (c) => c.close());
    await expect(changer.members(none.address, 2_000)).rejects.toBeInstanceOf(UnsupportedRequestError);
  });
});

/** `raft` without its `configuration()`: a raft library that cannot report one. */
function withoutConfiguration(raft: FakeRaft): Raft {
  return {
    state: () => raft.state(),
    leader: () => raft.leader(),
    addVoter: (...args) => raft.addVoter(...args),
    removeServer: (...args) => raft.removeServer(...args),
  };
}

/** A MembershipServer whose requests `raft` answers, as the library is used. */
async function serveRaft(raft: Raft): Promise<{ address: string; close(): Promise<void> }> {
  const server = new MembershipServer();
  const address = await server.listen(0);
  const handling = handleChangeRequests(raft, server.requests);
  return {
    address,
    async close() {
      await server.close();
      await handling;
    },
  };
}
