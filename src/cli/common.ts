import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseAddress, type ServerAddress, type TcpChangerOptions } from '../index.js';
import { DAY_MS, MIN_TIMEOUT_MS } from '../membership/option-checks.js';
import { UsageError } from './report.js';
import { checkTlsFiles, type OptionFile } from './tls-files.js';

export { ExitCode, InterruptedError, UsageError, exitCodeOf, fail, ms, output, type Output } from './report.js';

/** Options every command that talks to a cluster takes. */
export const connectionOptions = {
  target: { type: 'string', multiple: true },
  timeout: { type: 'string', default: '10s' },
  cluster: { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'secret-file': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/**
 * The environment variables that stand in for connection options not given
 * on the command line (as etcdctl's `ETCDCTL_*` do): a flag wins over its
 * variable, and the variable over the default.
 */
export const ENVIRONMENT = {
  target: 'RAFT_MEMBERSHIP_TARGET',
  timeout: 'RAFT_MEMBERSHIP_TIMEOUT',
  cluster: 'RAFT_MEMBERSHIP_CLUSTER',
  'tls-ca': 'RAFT_MEMBERSHIP_TLS_CA',
  'tls-cert': 'RAFT_MEMBERSHIP_TLS_CERT',
  'tls-key': 'RAFT_MEMBERSHIP_TLS_KEY',
  'secret-file': 'RAFT_MEMBERSHIP_SECRET_FILE',
} as const satisfies Partial<Record<keyof typeof connectionOptions, string>>;

/** The help text of these options, for each command's `--help`. */
export const CONNECTION_HELP = `  --target HOST:PORT[,HOST:PORT...]  the server(s) to ask; seeds are tried in turn (repeatable)
  --timeout DURATION                 deadline for the whole command, with its unit: 500ms, 10s, 2m
                                     (100ms to 24h, default 10s; a bare number is refused: seconds or
                                     milliseconds?)
  --cluster NAME                     the cluster's name, if its servers have one
  --tls-ca FILE                      use TLS, trusting this CA (PEM)
  --tls-cert FILE, --tls-key FILE    client certificate and key for mutual TLS (PEM)
  --secret-file FILE                 the cluster's shared secret (one trailing newline is ignored)
  --json                             print one JSON object on stdout instead of text
  -h, --help                         this help

Environment (a flag given on the command line wins):
${Object.entries(ENVIRONMENT)
  .map(([option, variable]) => `  ${variable.padEnd(33)}  --${option}`)
  .join('\n')}

Interrupted by Ctrl-C (SIGINT) or SIGTERM, a command stops waiting and exits
130 or 143; a join or leave may still commit (--json still prints its object).`;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What {@link parse} makes of the options `O`. */
export type Values<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/** For each parsed set of values, the options that came from the environment, and from which variable. */
const fromEnvironment = new WeakMap<object, ReadonlyMap<string, string>>();

/**
 * Parses `args` strictly against `options`: unknown options and stray words
 * are usage errors. Connection options not given fall back to their
 * {@link ENVIRONMENT} variables.
 */
export function parse<O extends OptionsConfig>(args: readonly string[], options: O, env: NodeJS.ProcessEnv = process.env): Values<O> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const given = new Set(parsed.tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : [])));
  const values = parsed.values as Record<string, unknown>;
  const sources = new Map<string, string>();
  for (const [option, variable] of Object.entries(ENVIRONMENT)) {
    const value = env[variable];
    if (!(option in options) || given.has(option) || value === undefined || value === '') continue;
    values[option] = options[option]!.multiple ? [value] : value;
    sources.set(option, variable);
  }
  fromEnvironment.set(values, sources);
  return values as Values<O>;
}

/** How to name `option` in a message: `--timeout`, or `RAFT_MEMBERSHIP_TIMEOUT` when the value came from there. */
export function label(values: object, option: string): string {
  return fromEnvironment.get(values)?.get(option) ?? `--${option}`;
}

/** `--timeout` for `timeout`; a label already made (`--x`, `ENV_VAR`) as it is. */
const named = (name: string): string => (/^(--|[A-Z])/.test(name) ? name : `--${name}`);

/** `--name` must be given. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new UsageError(`${named(name)} is required`);
  return value;
}

/** The targets of `--target`, split on commas and checked. */
export function targets(values: readonly string[] | undefined, name = 'target'): ServerAddress[] {
  const list = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError(`--target is required (or set ${ENVIRONMENT.target})`);
  for (const target of list) address(target, name);
  return list;
}

/** A `host:port` option, checked. */
export function address(value: string, name: string): ServerAddress {
  try {
    parseAddress(value);
  } catch (err) {
    throw new UsageError(`${named(name)}: ${(err as Error).message}`);
  }
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * `500ms`, `10s`, `1.5m`, `1h`, in milliseconds. The unit is required: the
 * library takes milliseconds where people often mean seconds, so a bare
 * number is refused rather than guessed.
 */
export function duration(value: string, name = 'timeout'): number {
  const text = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    throw new UsageError(`${named(name)} ${JSON.stringify(value)} has no unit: write ${text}ms or ${text}s (units: ms, s, m, h)`);
  }
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  const ms = match ? Math.round(Number(match[1]) * UNITS[match[2]!]!) : Number.NaN;
  // The library's least timeout (MIN_TIMEOUT_MS), said here in the command's own words.
  if (!(ms >= MIN_TIMEOUT_MS && ms <= DAY_MS)) throw new UsageError(`${named(name)} must be a duration from 100ms to 24h such as 500ms, 10s or 2m, got ${JSON.stringify(value)}`);
  return ms;
}

function readOption(path: string, name: string): OptionFile {
  try {
    return { label: name, path, bytes: readFileSync(path) };
  } catch (err) {
    throw new UsageError(`${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The connection options' values, as {@link parse} returned them. */
export interface ConnectionValues {
  cluster?: string | undefined;
  'tls-ca'?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'secret-file'?: string | undefined;
}

/** The `TcpChanger` options the connection flags ask for; files are read and checked here. */
export function changerOptions(values: ConnectionValues): TcpChangerOptions {
  const { cluster, 'tls-ca': caPath, 'tls-cert': certPath, 'tls-key': keyPath, 'secret-file': secretPath } = values;
  if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const ca = caPath === undefined ? undefined : readOption(caPath, label(values, 'tls-ca'));
  const cert = certPath === undefined ? undefined : readOption(certPath, label(values, 'tls-cert'));
  const key = keyPath === undefined ? undefined : readOption(keyPath, label(values, 'tls-key'));
  checkTlsFiles(ca, cert, key);
  const tls =
    ca || cert
      ? { ...(ca ? { ca: ca.bytes } : {}), ...(cert && key ? { cert: cert.bytes, key: key.bytes } : {}) }
      : undefined;
  let secret: Buffer | undefined;
  if (secretPath !== undefined) {
    const name = label(values, 'secret-file');
    const { bytes } = readOption(secretPath, name);
    secret = bytes.at(-1) === 0x0a ? bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1) : bytes;
    if (secret.length === 0) throw new UsageError(`${name}: ${secretPath} is empty`);
  }
  return { ...(cluster !== undefined ? { clusterName: cluster } : {}), ...(tls ? { tls } : {}), ...(secret ? { secret } : {}) };
}

/** What `main` gives each command beside its arguments. */
export interface CommandContext {
  /** Aborted by SIGINT or SIGTERM: pass it to every call that waits. */
  readonly signal?: AbortSignal;
}

/** The deadline and cancellation of a command's calls, from `--timeout` and the context. */
export function callOptions(values: { timeout: string }, context: CommandContext): { timeoutMs: number; signal?: AbortSignal } {
  const timeoutMs = duration(values.timeout, label(values, 'timeout'));
  return context.signal ? { timeoutMs, signal: context.signal } : { timeoutMs };
}
