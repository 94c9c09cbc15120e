import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outcome, runServerConformance } from '../../src/index.js';
import { waitFor } from '../reference/support/cluster.js';
import { expectNoLeaks, resourceBaseline } from '../support/resources.js';
import { LIMITS, failures, listed, named } from './support/expectations.js';
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
  'members.pages',
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
    const report = await runServerConformance(cluster.leader.address, { follower: cluster.followers[0]!.address, ...LIMITS });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Skipped).filter((name) => !listed(NOT_PROVOKED, name))).toEqual([]);
    expect(report.results.length).toBeGreaterThan(80);
    // Every change was undone: the configuration is the three servers again.
    expect(report.notes.join('\n')).toMatch(/joined \d+ servers .*, and removed \d+ of them/);
    expect(report.notes.join('\n')).not.toMatch(/COULD NOT REMOVE/);
    await waitFor(() => cluster.leader.raft.configuration().length === 3, 'the kit\'s servers to be removed', 10_000);
  }, 120_000);

  // Last: the leader is closed by it.
  // Issue 11, point 3: a join in flight at close() was answered shutting_down
  // and then committed; the kit caught it here until the server was fixed.
  // The server closes first, then its raft (so that the others elect a leader
  // the kit can ask): closing the reference raft first, as ClusterMember.close()
  // does, rejects a change already appended with ShuttingDownError, which goes
  // out as shutting_down though the next leader may commit it; the kit catches
  // that too, in about one run of three (a race), so it is not run here.
  it('when closing, answers a change in flight only with what is true, and refuses new connections', async () => {
    const report = await runServerConformance(cluster.leader.address, {
      follower: cluster.followers[0]!.address,
      only: ['closing.'],
      closeTarget: async () => {
        await cluster.leader.server.close();
        cluster.leader.raft.close();
      },
    });
    expect(named(report, Outcome.Failed, Outcome.NonStrict), failures(report)).toEqual([]);
    expect(named(report, Outcome.Ok)).toEqual(['closing.change-in-flight', 'closing.new-connection']);
  }, 60_000);
});
