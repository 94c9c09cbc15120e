import { afterEach, describe, expect, it } from 'vitest';
import { runningChildren } from '../support/child-process.js';
import { ATTACKS } from './attacks/index.js';
import { fastProfile } from './profile.js';
import { runAttack } from './runner.js';
import { formatDetails, formatTable } from './table.js';

// The attacks of issue 12 at full size for a few seconds each, every one
// from processes of its own (docs/reliability.md, "npm run attack"). The
// seed is printed; ATTACK_SEED replays it.

const profile = fastProfile();

afterEach(() => {
  // runAttack kills every process it started (their whole groups), pass or fail.
  expect(runningChildren()).toEqual([]);
});

describe(`attacks (fast; ATTACK_SEED=${profile.seed})`, () => {
  it.each(ATTACKS.map((attack) => [`${attack.number} ${attack.name}`, attack] as const))(
    'attack %s: legitimate calls keep succeeding and the server stays within its bounds',
    async (_name, attack) => {
      const result = await runAttack(attack, profile);
      console.info(`${formatTable([result])}\n${formatDetails([result])}`);
      expect(result.failures).toEqual([]);
    },
    40_000,
  );
});
