import { afterEach, describe, expect, it } from 'vitest';
import { runningChildren } from '../support/child-process.js';
import { describeChurn, runChurn } from './churn.js';

// Five raft servers, one process each, with durable state; twenty clients
// joining and leaving; servers (the leader too) killed with SIGKILL and
// restarted, or stopped and continued. Seeded: CHURN_SEED replays the
// faults' order and timing (not the elections'). The long run is
// `npm run attack -- churn` (docs/reliability.md).

const seed = Number(process.env['CHURN_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

afterEach(() => {
  expect(runningChildren()).toEqual([]);
});

describe('multi-process churn', () => {
  it(`every acknowledged change holds and the servers agree after kill -9, restarts and SIGSTOP (CHURN_SEED=${seed})`, async () => {
    const result = await runChurn({ seed, durationMs: 6_000, minFaults: 4, faultEveryMs: 1_000, timeoutMs: 3_000 });
    console.info(`${result.faults.join('\n')}\n${describeChurn(result)}`);
    expect(result.faults.filter((f) => f.includes('kill -9') && f.includes('(leader)')).length).toBeGreaterThanOrEqual(1);
    expect(result.faults.filter((f) => f.includes('SIGSTOP')).length).toBeGreaterThanOrEqual(1);
    expect(result.records.filter((r) => r.verdict === 'ok').length).toBeGreaterThan(100);
    expect(result.lost).toEqual([]);
    expect(result.problems).toEqual([]);
  }, 60_000);
});
