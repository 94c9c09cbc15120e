import { describe, expect, it } from 'vitest';
import type { ClusterMember } from '../../reference/cluster-member.js';
import { CommittedConfigurations } from '../e2e/support/committed-configurations.js';
import { idsOf, useE2ECluster } from '../e2e/support/e2e-cluster.js';
import { fuzzInputs } from '../support/fuzz-inputs.js';
import { envInt, runAll, tallyLines } from '../support/fuzz-runner.js';
import { ChangeLedger } from './support/change-ledger.js';

// The fuzz inputs of fuzz-server.test.ts, against one member of a real
// three-server reference cluster: its port carries the leader's raft streams
// and the legitimate members' joins and leaves while the fuzz runs. The
// fuzzed member is a follower (a long election timeout keeps it one), so a
// mutated request that stays valid is answered with a redirect. As leader it
// would act on it, as raft should: a non-voter at a made-up address joins
// and stays, and a voter's join at a made-up address holds the one change
// queue until raft refuses it (two election timeouts of silence), so the
// legitimate changes and the fuzz's own answers would wait behind it.
// Raft streams a mutated hello opens go to the real RaftNode.
// FUZZ_SEED=<n> replays a run; FUZZ_INPUTS and FUZZ_SECONDS (default 6) make it longer.

const FUZZED = 'n2';
const cluster = useE2ECluster((id) => (id === FUZZED ? { electionTimeoutMs: 1_500 } : {}));
const SEED = envInt('FUZZ_SEED', Math.floor(Math.random() * 2 ** 31));
const INPUTS = envInt('FUZZ_INPUTS', 4_000);
const SECONDS = envInt('FUZZ_SECONDS', 6);
const LEGIT_MEMBERS = 3;
const DEADLINE_MS = 5_000;
/** A follower answers a valid request with a redirect (or, between leaders, `unknown_leader`). */
const ALLOWED = new Set(['bad_request', 'different_leader', 'unknown_leader']);

describe('fuzzing a member of a real raft cluster', () => {
  it(`answers malformed input as documented while real members join and leave through it (seed ${SEED})`, { timeout: (SECONDS + 30) * 1_000 }, async () => {
    // Generated first: it blocks the event loop for longer than an election timeout.
    const inputs = fuzzInputs(SEED, INPUTS);
    const c = cluster();
    const watch = new CommittedConfigurations(c);
    const voters = await c.build(3);
    const fuzzed = c.member(FUZZED);

    // Real servers joining (as non-voters) and leaving in a loop, through the fuzzed member.
    const legit: ClusterMember[] = [];
    for (let i = 1; i <= LEGIT_MEMBERS; i += 1) legit.push(await c.start(`legit${i}`));
    const ledger = new ChangeLedger();
    let stop = false;
    const loops = legit.map(async (member) => {
      while (!stop) {
        await ledger.run(member.id, 'join', DEADLINE_MS, () => member.changer.join(member.id, fuzzed.address, { timeoutMs: DEADLINE_MS, role: 'nonvoter' }));
        await ledger.run(member.id, 'leave', DEADLINE_MS, () => member.changer.leave(member.id, fuzzed.address, DEADLINE_MS));
      }
    });

    const stopAt = performance.now() + SECONDS * 1_000;
    const tally = await runAll(inputs, fuzzed.address, stopAt, ALLOWED);
    stop = true;
    await Promise.all(loops);

    const { leader, servers } = await c.waitForConvergence();
    const finalIds = idsOf(servers);
    await c.waitForAgreement(c.live().filter((m) => finalIds.includes(m.id)), servers);
    const lost = ledger.lost(c, finalIds);
    const fuzzedLed = [...c.leadersByTerm.values()].includes(FUZZED);
    console.info(
      [
        `cluster fuzz seed ${SEED} (FUZZ_SEED=${SEED} to replay): ${tally.tried} of ${inputs.length} inputs tried on as many connections to ${FUZZED} within ${SECONDS} s, ${tally.violations.length} violations`,
        ...tallyLines(tally),
        `  legitimate changes through ${FUZZED} meanwhile: ${ledger.figures(lost.length)}`,
        `  raft: leaders by term ${[...c.leadersByTerm].map(([t, id]) => `${t}:${id}`).join(' ')}; final leader ${leader.id}; ` +
          `committed configuration ${finalIds.join(',')} at index ${leader.raft.configurationIndex}, ${watch.seen.size} configurations seen committed`,
      ].join('\n'),
    );
    expect(tally.violations.slice(0, 5)).toEqual([]);
    expect(tally.tried).toBeGreaterThan(100);
    expect(ledger.misbehaved()).toEqual([]);
    expect(ledger.count('ok'), ledger.figures(lost.length)).toBe(ledger.records.length);
    expect(ledger.count('ok')).toBeGreaterThanOrEqual(2 * LEGIT_MEMBERS);
    expect(lost).toEqual([]);
    expect(watch.violations).toEqual([]);
    expect(watch.lost()).toEqual([]);
    expect(fuzzedLed, `${FUZZED} led: a fuzzed valid request could then change the configuration`).toBe(false);
    // Every legitimate member left last; nothing the fuzz sent became a member.
    expect(finalIds).toEqual(idsOf(voters.map((m) => m.raft.configuration().find((s) => s.id === m.id)!)));
  });
});
