/**
 * Clients of the churn run (churn.ts), several in one process: each is a
 * TcpChanger of its own, joining its id as a non-voter and leaving again,
 * with seeded pauses, until told to finish. Every call is recorded with its
 * outcome: ok, refused (ChangeRejectedError: nothing changed) or ambiguous
 * (anything else: the change may or may not have been made).
 */
import { ChangeRejectedError, MembershipError, TcpChanger } from '../../../src/index.js';
import { childConfig, emit, serveParent } from '../../support/parent-channel.js';
import { prng } from '../../support/prng.js';
import { deadAddress } from '../dead-address.js';
import { sleep } from '../peers.js';

/** What the churn runner starts a client process with. */
export interface ChurnClientsConfig {
  readonly ids: readonly string[];
  readonly seed: number;
  readonly timeoutMs: number;
  /** Each client pauses up to this long between its calls. */
  readonly maxPauseMs: number;
}

/** One call a client made, as the runner judges it. */
export interface ChurnRecord {
  readonly id: string;
  readonly op: 'join' | 'leave';
  readonly verdict: 'ok' | 'refused' | 'ambiguous';
  readonly ms: number;
  readonly error?: string;
}

const config = childConfig<ChurnClientsConfig>();
const random = prng(config.seed);
const records: ChurnRecord[] = [];
const stop = new AbortController();

async function client(id: string, targets: readonly string[]): Promise<void> {
  const changer = new TcpChanger({ address: await deadAddress() });
  try {
    for (let n = 0; !stop.signal.aborted; n++) {
      const op = n % 2 === 0 ? 'join' : 'leave';
      const started = performance.now();
      try {
        // Not aborted by finish: a call under way settles (within its deadline) and is recorded.
        if (op === 'join') await changer.join(id, targets, { timeoutMs: config.timeoutMs, role: 'nonvoter' });
        else await changer.leave(id, targets, config.timeoutMs);
        records.push({ id, op, verdict: 'ok', ms: performance.now() - started });
      } catch (err) {
        const verdict = err instanceof ChangeRejectedError ? 'refused' : 'ambiguous';
        const error = err instanceof MembershipError ? `${err.code}: ${err.message}` : String(err);
        records.push({ id, op, verdict, ms: performance.now() - started, error });
      }
      await sleep(Math.floor(random() * config.maxPauseMs), stop.signal);
    }
  } finally {
    changer.close();
  }
}

let running: Promise<unknown> | undefined;
serveParent(
  {
    start: (request) => {
      const targets = request['targets'] as string[];
      running ??= Promise.all(config.ids.map((id) => client(id, targets)));
      return null;
    },
    /** Stops every client once its call under way has settled; hands over the records. */
    finish: async () => {
      stop.abort();
      await running;
      return records;
    },
  },
  () => stop.abort(),
);
emit('ready');
