import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsOptions } from 'node:tls';
import { ConformanceSetupError } from '../../membership/errors.js';
import { integerOption } from '../../membership/option-checks.js';
import { summarize, type CaseDefinition, type ConformanceCaseResult, type ConformanceReport } from '../case.js';
import { runCases } from '../run-cases.js';
import { selects } from '../server/server-options.js';
import { ClientContext, serve, type ClientSettings } from './client-context.js';
import type { DialerFunction } from './dialer.js';
import { dialerErrorCases } from './error-cases.js';
import { dialerMembersCases } from './members-cases.js';
import { dialerPreambleCases } from './preamble-cases.js';
import { dialerResponseCases } from './response-cases.js';

/** Every client case, in the order they run. */
export const clientCases: readonly CaseDefinition<ClientContext>[] = [...dialerPreambleCases, ...dialerResponseCases, ...dialerErrorCases, ...dialerMembersCases];

/** The secret the kit's scripted servers ask for in the §4 cases: text, so that it also checks §4's "a text secret is its UTF-8 bytes". */
export const CONFORMANCE_SECRET = 'rftm-conformance sécret';

/** Options of {@link runClientConformance}. */
export interface ClientConformanceOptions {
  /** The deadline the dialer is given for each call (`RFTM_CONFORMANCE_TIMEOUT_MS`). @default 3000 */
  readonly timeoutMs?: number;
  /** How long past its deadline a dialer may take to end before the kit stops it (and fails the case). @default 2000 */
  readonly graceMs?: number;
  /** Whether the dialer takes a shared secret (`RFTM_CONFORMANCE_SECRET_FILE`); without, the §4 cases are skipped. @default true */
  readonly secret?: boolean;
  /**
   * Serve TLS with this certificate and key; the dialer is given `caFile`
   * (`RFTM_CONFORMANCE_TLS_CA`) to trust it. Without, the kit serves plain TCP.
   */
  readonly tls?: {
    /** The scripted servers' certificate (PEM). */
    readonly cert: string | Buffer;
    /** Its private key (PEM). */
    readonly key: string | Buffer;
    /** The path of a CA file (PEM) that trusts `cert`, handed to the dialer. */
    readonly caFile: string;
  };
  /** The host the scripted servers listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** Cases played at once (each has servers of its own). @default 4 */
  readonly concurrency?: number;
  /** How long a scripted server waits for the dialer's next bytes. @default 2000 */
  readonly waitMs?: number;
  /** How long the kit watches for bytes the dialer must not send. @default 300 */
  readonly quietMs?: number;
  /** Run only the cases whose name is, or starts with, one of these. */
  readonly only?: readonly string[];
  /** Leave out the cases whose name is, or starts with, one of these. */
  readonly skip?: readonly string[];
  /** Told of each result as it comes. */
  readonly onResult?: (result: ConformanceCaseResult) => void;
  /** Stops the run: cases not begun are left out. */
  readonly signal?: AbortSignal;
}

/**
 * Runs the client conformance cases against a dialer: for each case the
 * kit starts scripted servers that play it, runs the dialer against them
 * (a command, given the case in its environment: see docs/conformance.md,
 * or an in-process function), and judges what the dialer did on the wire
 * and how it ended. Rejects with `ConformanceSetupError` when the command
 * cannot be started at all, `InvalidOptionError` for a bad option.
 *
 * ```ts
 * const report = await runClientConformance(['python3', 'my_dialer.py']);
 * console.log(report.summary);
 * ```
 */
export async function runClientConformance(dialer: readonly string[] | DialerFunction, options: ClientConformanceOptions = {}): Promise<ConformanceReport> {
  const timeoutMs = integerOption('timeoutMs', options.timeoutMs, 3_000, 100, 600_000);
  const graceMs = integerOption('graceMs', options.graceMs, 2_000, 0, 600_000);
  const concurrency = integerOption('concurrency', options.concurrency, 4, 1, 64);
  const waitMs = integerOption('waitMs', options.waitMs, 2_000, 1, 600_000);
  const quietMs = integerOption('quietMs', options.quietMs, 300, 1, 600_000);
  if (typeof dialer !== 'function' && dialer.length === 0) throw new ConformanceSetupError('the dialer command is empty');
  const began = performance.now();
  const startedAt = new Date().toISOString();
  const dir = await mkdtemp(join(tmpdir(), 'rftm-conformance-'));
  try {
    let secret: ClientSettings['secret'];
    if (options.secret ?? true) {
      const file = join(dir, 'secret');
      await writeFile(file, CONFORMANCE_SECRET, { mode: 0o600 });
      secret = { bytes: Buffer.from(CONFORMANCE_SECRET, 'utf8'), file };
    }
    const tls: ClientSettings['tls'] = options.tls ? { server: { cert: options.tls.cert, key: options.tls.key } satisfies TlsOptions, caFile: options.tls.caFile } : undefined;
    const settings: ClientSettings = { dialer, host: options.host ?? '127.0.0.1', timeoutMs, graceMs, waitMs, quietMs, secret, tls };
    await preflight(settings);
    const chosen = clientCases.filter((c) => (!options.only?.length || selects(options.only, c.name)) && !selects(options.skip ?? [], c.name));
    const results = await runCases(chosen, {
      concurrency,
      caseTimeoutMs: 4 * (timeoutMs + graceMs) + 10 * waitMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onResult ? { onResult: options.onResult } : {}),
      context: async (definition) => {
        const context = new ClientContext(definition.name, settings);
        return { context, release: () => context.release() };
      },
    });
    const summary = summarize(results);
    return {
      side: 'client',
      subject: typeof dialer === 'function' ? `${dialer.name || 'a dialer function'} (in-process)` : dialer.join(' '),
      startedAt,
      durationMs: Math.round(performance.now() - began),
      results,
      summary,
      passed: summary.failed === 0,
      notes: [`each call was given a deadline of ${timeoutMs} ms${secret ? '; the §4 cases used a secret from RFTM_CONFORMANCE_SECRET_FILE' : '; the dialer takes no secret, so the §4 cases were skipped'}`],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the dialer once against a server that answers well: a command that cannot start ends the run here. */
async function preflight(settings: ClientSettings): Promise<void> {
  const context = new ClientContext('preflight', settings);
  try {
    const server = await context.listen(serve(() => ({ ok: true, index: 1 })));
    const run = await context.dial(server, { operation: 'leave' });
    if (run.exitCode === undefined && !run.killed) throw new ConformanceSetupError(`cannot run the dialer: ${run.stderr.trim()}`);
  } finally {
    await context.release();
  }
}
