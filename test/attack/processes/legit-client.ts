/**
 * The legitimate client: a process of its own that joins and leaves (and
 * reads the members, for some attacks) every `intervalMs` with a fresh
 * TcpChanger per call, as a server that starts up would, from 127.0.0.1.
 * Every call is recorded with the phase of the run it started in.
 */
import { TcpChanger } from '../../../src/index.js';
import { childConfig, emit, serveParent } from '../../support/parent-channel.js';
import { deadAddress } from '../dead-address.js';
import { LegitMix } from '../attack.js';
import { sleep } from '../peers.js';

/** What the runner starts the legitimate client with. */
export interface LegitConfig {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly mix: LegitMix;
}

/** One call the client made. */
export interface CallRecord {
  readonly phase: string;
  readonly kind: 'join' | 'leave' | 'members';
  readonly ms: number;
  readonly ok: boolean;
  /** Still under way when the run ended: `ms` is how long it had been waiting. */
  readonly cut?: boolean;
  readonly error?: string;
}

const config = childConfig<LegitConfig>();

const id = `legit-${process.pid}`;
const address = await deadAddress();
const kinds: readonly CallRecord['kind'][] = config.mix === LegitMix.WithMembers ? ['join', 'members', 'leave', 'members'] : ['join', 'leave'];
const records: CallRecord[] = [];
const stop = new AbortController();
let phase = 'warm-up';

async function call(targets: readonly string[], kind: CallRecord['kind']): Promise<void> {
  const changer = new TcpChanger({ address });
  const startedIn = phase;
  const started = performance.now();
  const options = { timeoutMs: config.timeoutMs, signal: stop.signal };
  try {
    if (kind === 'join') await changer.join(id, targets, { ...options, role: 'nonvoter' });
    else if (kind === 'leave') await changer.leave(id, targets, options);
    else await changer.members(targets, options);
    records.push({ phase: startedIn, kind, ms: performance.now() - started, ok: true });
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const cut = stop.signal.aborted;
    records.push({ phase: startedIn, kind, ms: performance.now() - started, ok: false, ...(cut ? { cut } : {}), error });
  } finally {
    changer.close();
  }
}

async function loop(targets: readonly string[]): Promise<void> {
  for (let n = 0; !stop.signal.aborted; n++) {
    const next = performance.now() + config.intervalMs;
    await call(targets, kinds[n % kinds.length]!);
    await sleep(next - performance.now(), stop.signal);
  }
}

let looping: Promise<void> | undefined;
serveParent(
  {
    /** Starts calling `targets`. */
    start: (request) => {
      looping ??= loop(request['targets'] as string[]);
      return null;
    },
    phase: (request) => {
      phase = String(request['name']);
      return null;
    },
    /** Stops at once (a call under way is dropped) and hands over every record. */
    finish: async () => {
      stop.abort();
      await looping;
      return records;
    },
  },
  () => stop.abort(),
);
emit('ready');
