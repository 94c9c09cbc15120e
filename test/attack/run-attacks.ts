/**
 * `npm run attack`: runs each attack of issue 12 (or those named) from
 * separate attacker processes against a server in its own process with
 * default options, while a legitimate client joins and leaves; prints the
 * table and exits 1 if any attack broke a criterion (docs/reliability.md).
 * `npm run attack -- churn` runs the long multi-process churn instead.
 *
 *   npm run attack                      # every attack, 30 s each
 *   npm run attack -- trickle flood-cluster
 *   ATTACK_SECONDS=10 ATTACK_SCALE=0.5 ATTACK_SEED=42 npm run attack -- 4
 *   CHURN_SECONDS=600 CHURN_SEED=7 npm run attack -- churn
 */
import { ATTACKS, findAttack } from './attacks/index.js';
import { describeChurn, runChurn } from './churn.js';
import { fullProfile } from './profile.js';
import { runAttack, type AttackResult } from './runner.js';
import { formatDetails, formatTable } from './table.js';

async function main(names: readonly string[]): Promise<number> {
  const attacks = names.length === 0 ? ATTACKS : names.map(findAttack);
  const profile = fullProfile();
  console.log(
    `attack run: seed ${profile.seed} (ATTACK_SEED replays it), scale ${profile.scale}, ` +
      `${profile.beforeMs / 1000} s before, ${profile.duringMs / 1000} s of attack, ${profile.afterMs / 1000} s after; ` +
      `a legitimate call every ${profile.intervalMs} ms with a ${profile.callTimeoutMs} ms deadline; ` +
      `bounds: p99 ≤ max(${profile.bounds.p99Factor}× before, ${profile.bounds.p99FloorMs} ms), ` +
      `RSS growth ≤ ${profile.bounds.rssSlackMb} MB + ${(profile.bounds.perConnectionBytes / 1024).toFixed(0)} KiB per connection held, ` +
      `descriptors ≤ ${profile.bounds.extraFds} more than at the start`,
  );
  const results: AttackResult[] = [];
  for (const attack of attacks) {
    console.log(`\n${attack.number} ${attack.name}: ${attack.summary}`);
    const result = await runAttack(attack, profile, (line) => console.log(line));
    results.push(result);
    console.log(formatDetails([result]));
  }
  console.log(`\n${formatTable(results)}\n`);
  const failed = results.filter((r) => r.failures.length > 0);
  console.log(failed.length === 0 ? 'every attack passed' : `FAILED: ${failed.map((r) => `${r.attack.number} ${r.attack.name}`).join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

async function churn(): Promise<number> {
  const seed = Number(process.env['CHURN_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const seconds = Number(process.env['CHURN_SECONDS'] ?? 120);
  if (!Number.isFinite(seed) || !(seconds > 0)) throw new Error('CHURN_SEED and CHURN_SECONDS must be numbers');
  console.log(`churn: seed ${seed} (CHURN_SEED replays it), ${seconds} s of faults, one every ~3 s`);
  const result = await runChurn({ seed, durationMs: seconds * 1_000, faultEveryMs: 3_000, timeoutMs: 5_000, log: (line) => console.log(line) });
  console.log(describeChurn(result));
  return result.lost.length === 0 && result.problems.length === 0 ? 0 : 1;
}

const names = process.argv.slice(2);
(names.length === 1 && names[0] === 'churn' ? churn() : main(names)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
