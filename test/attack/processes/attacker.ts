/**
 * An attacker process: runs one attack's code (attacks/*.ts) with its share
 * of the peers, from `go` until it is stopped, and reports its counters.
 * Started by the runner (runner.ts); exits when the runner goes away.
 */
import { childConfig, emit, serveParent } from '../../support/parent-channel.js';
import { prng } from '../../support/prng.js';
import type { AttackerStats, Counts } from '../attack.js';
import { findAttack } from '../attacks/index.js';

/** What the runner starts an attacker process with. */
export interface AttackerConfig {
  readonly attack: string;
  readonly sources: readonly string[];
  readonly counts: Counts;
  readonly part: number;
  readonly parts: number;
  readonly seed: number;
}

const config = childConfig<AttackerConfig>();
const attack = findAttack(config.attack);
const stop = new AbortController();
const stats: AttackerStats = {};
let running: Promise<void> | undefined;

serveParent(
  {
    /** Starts the attack on `targets`. */
    go: (request) => {
      running ??= attack
        .run({
          targets: request['targets'] as string[],
          sources: config.sources,
          counts: config.counts,
          part: config.part,
          parts: config.parts,
          random: prng(config.seed),
          signal: stop.signal,
          stats,
        })
        .catch((err: unknown) => {
          stats['crashed'] = 1;
          console.error(`attacker ${config.attack}/${config.part}:`, err);
        });
      return null;
    },
    stats: () => stats,
  },
  () => stop.abort(),
);

emit('ready');
