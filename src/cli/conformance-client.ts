import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runClientConformance, type ClientConformanceOptions } from '../index.js';
import { duration, UsageError, type CommandContext } from './common.js';
import { REPORT_HELP, REPORT_OPTIONS, finish, names } from './conformance-report.js';

export const conformanceClientHelp = `Usage: raft-membership conformance client [options] -- COMMAND [ARG...]

Runs every client case of docs/conformance.md against a dialer: for each
case the kit starts scripted servers that play it and runs COMMAND once (or
more), telling it the call in its environment:

  RFTM_CONFORMANCE_OPERATION   join, leave or members
  RFTM_CONFORMANCE_TARGET      HOST:PORT to ask
  RFTM_CONFORMANCE_ID          the server id to join or leave
  RFTM_CONFORMANCE_ADDRESS     the joining server's address (join)
  RFTM_CONFORMANCE_ROLE        voter or nonvoter (join)
  RFTM_CONFORMANCE_CLUSTER     the cluster name ('' for none)
  RFTM_CONFORMANCE_TIMEOUT_MS  the call's deadline: end by then
  RFTM_CONFORMANCE_SECRET_FILE the shared secret's bytes (only when the case gives one)
  RFTM_CONFORMANCE_TLS_CA      a CA file to trust (only with --tls-cert)
  RFTM_CONFORMANCE_CASE        the case's name, for your logs

COMMAND exits 0 when the call succeeded and non-zero when it failed, and on
success prints a JSON line: {"index": N} for join and leave (null or absent
when no index came), {"index": N, "members": [{"id", "address", "role"}…]}
for members.

  --timeout DURATION       the deadline given to each call (default 3s)
  --grace DURATION         how long past it the kit waits before stopping COMMAND (default 2s)
  --no-secret              the dialer takes no secret: the §4 cases are skipped
  --tls-cert FILE, --tls-key FILE  serve TLS with this certificate
  --tls-ca FILE            the CA the dialer is told to trust (with --tls-cert)
  --concurrency N          cases played at once (default 4)
${REPORT_HELP}

Examples:
  raft-membership conformance client -- python3 my_dialer.py
  raft-membership conformance client --timeout 5s --junit dialer.xml -- ./dialer --from-env`;

const clientOptions = {
  ...REPORT_OPTIONS,
  timeout: { type: 'string' },
  grace: { type: 'string' },
  'no-secret': { type: 'boolean', default: false },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  concurrency: { type: 'string' },
} as const;

/** `raft-membership conformance client`. */
export async function conformanceClient(args: readonly string[], context: CommandContext = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: clientOptions, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals: command } = parsed;
  if (values.help) {
    process.stdout.write(`${conformanceClientHelp}\n`);
    return 0;
  }
  if (command.length === 0) throw new UsageError('conformance client needs the dialer command after --');
  const { 'tls-cert': cert, 'tls-key': key, 'tls-ca': caFile } = values;
  if ((cert === undefined) !== (key === undefined) || (cert !== undefined && caFile === undefined)) {
    throw new UsageError('--tls-cert, --tls-key and --tls-ca go together');
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
    throw new UsageError(`--concurrency must be an integer from 1 to 64, got ${JSON.stringify(values.concurrency)}`);
  }
  const options: ClientConformanceOptions = {
    ...(values.timeout !== undefined ? { timeoutMs: duration(values.timeout) } : {}),
    ...(values.grace !== undefined ? { graceMs: duration(values.grace, 'grace') } : {}),
    secret: !values['no-secret'],
    ...(cert !== undefined && key !== undefined && caFile !== undefined ? { tls: { cert: read(cert, 'tls-cert'), key: read(key, 'tls-key'), caFile } } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    only: names(values.only),
    skip: names(values.skip),
    ...(context.signal ? { signal: context.signal } : {}),
  };
  process.stderr.write(`raft-membership conformance: testing the dialer ${command.join(' ')}\n`);
  return finish(await runClientConformance(command, options), values);
}

function read(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`--${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
