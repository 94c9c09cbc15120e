import type { Attack } from '../attack.js';
import { bigRaftFrames } from './big-raft-frames.js';
import { busyFlood } from './busy-flood.js';
import { idleHolders } from './idle-holders.js';
import { junkJoins } from './junk-joins.js';
import { junkVoters } from './junk-voters.js';
import { largeConfiguration } from './large-configuration.js';
import { membersPipeline } from './members-pipeline.js';
import { raftFlood } from './raft-flood.js';
import { requestFlood, requestFloodCluster } from './request-flood.js';
import { slowPreamble } from './slow-preamble.js';
import { trickle } from './trickle.js';

/** Every attack of issue 12's table, in its order (attack 4 twice: one server, then a cluster), and those added since. */
export const ATTACKS: readonly Attack[] = [
  trickle,
  idleHolders,
  membersPipeline,
  requestFlood,
  requestFloodCluster,
  raftFlood,
  bigRaftFrames,
  largeConfiguration,
  busyFlood,
  junkJoins,
  slowPreamble,
  junkVoters,
];

/** The attack called `name`, or by its number ("4" picks the first of that number). */
export function findAttack(name: string): Attack {
  const found = ATTACKS.find((a) => a.name === name) ?? ATTACKS.find((a) => String(a.number) === name);
  if (!found) throw new Error(`no attack ${JSON.stringify(name)}; there are: ${ATTACKS.map((a) => a.name).join(', ')}`);
  return found;
}
