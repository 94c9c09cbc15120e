import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outcome, runServerConformance } from '../../src/index.js';
import { waitFor } from '../reference/support/cluster.js';
import { expectNoLeaks, resourceBaseline } from '../support/resources.js';
import { LIMITS, PENDING, failures, listed, named } from './support/expectations.js';
import { referenceCluster, type ReferenceCluster } from './support/reference-cluster.js';

// The library's MembershipServer on a real 3-server reference raft cluster
// (redirects, changes and elections are real) passes every server case it
// can be given. One cluster serves the file; it is closed, and checked for
// leaks, at the end.

/** Cases that cannot run against this setup, and say so: each needs an option or cooperation not given here. */
const NOT_PROVOKED = [
  'hello.challenge',
  'hello.challenge-raft-channel',
  'hello.unnamed-to-named',
  'preamble.deadline-auth',
  'auth.',
  'raft.bytes-untouched',
  'message.role-nil',
  'members.unsupported',
  'errors.',
  'life.request-timeout',
  'hello.busy-raft-streams',
  'closing.',
];

describe('the library\'s server on a reference raft cluster, against the conformance kit', () => {
  let cluster: ReferenceCluster;
  let baseline: Map<string, number>;
  beforeAll(async () => {
    baseline = resourceBaseline();
    cluster = await referenceCluster({ server: LIMITS });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
    await expectNoLeaks(baseline);
  });

  it('passes every case it can run, with a follower and the servers\' limits', async () => {
    const report = await runServerConformance(cluster.leader.address, { follower: cluster.followers[0]!.address, ...LIMITS, skip: PENDING.serverPages });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Skipped).filter((name) => !listed(NOT_PROVOKED, name))).toEqual([]);
    expect(report.results.length).toBeGreaterThan(80);
    // Every change was undone: the configuration is the three servers again.
    expect(report.notes.join('\n')).toMatch(/joined \d+ servers .*, and removed \d+ of them/);
    expect(report.notes.join('\n')).not.toMatch(/COULD NOT REMOVE/);
    await waitFor(() => cluster.leader.raft.configuration().length === 3, 'the kit\'s servers to be removed', 10_000);
  }, 120_000);

  it('answers members with unsupported on a leader that serves no configuration, and redirects', async () => {
    for (const member of cluster.members) member.server.serveConfiguration(undefined);
    try {
      const report = await runServerConformance(cluster.leader.address, {
        follower: cluster.followers[0]!.address,
        members: false,
        only: ['members.', 'redirect.'],
        skip: PENDING.membersOnFollower,
      });
      expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
      expect(named(report, Outcome.Ok)).toEqual(expect.arrayContaining(['members.unsupported', 'redirect.different-leader', 'redirect.leader-dialable', 'redirect.join']));
    } finally {
      for (const member of cluster.members) member.server.serveConfiguration(member.raft);
    }
  }, 60_000);

  // Last: the leader is closed by it.
  it('when closing, refuses new connections (and, once point 3 lands, answers a change in flight truthfully)', async () => {
    const report = await runServerConformance(cluster.leader.address, {
      follower: cluster.followers[0]!.address,
      only: ['closing.'],
      skip: PENDING.shuttingDownInFlight,
      closeTarget: () => cluster.leader.close(),
    });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toEqual(['closing.new-connection']);
  }, 60_000);
});
