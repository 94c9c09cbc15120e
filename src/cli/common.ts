import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  AuthenticationError,
  BadRequestError,
  ChangeRejectedError,
  ConnectionClosedError,
  HandshakeRefusedError,
  InvalidAddressError,
  InvalidOptionError,
  MembershipTimeoutError,
  UnsupportedRequestError,
  UnsupportedRoleError,
  parseAddress,
  type ServerAddress,
  type TcpChangerOptions,
} from '../index.js';

/** The exit codes, documented in `raft-membership --help` and the README. */
export const ExitCode = {
  /** Done. */
  Success: 0,
  /** The cluster (or the server) said no: a refused change, handshake, secret or request; a refused connection (ping only: the others retry it). */
  Refused: 1,
  /** No answer in time: the deadline passed. A change may still commit. */
  Timeout: 2,
  /** Anything else: a bug, a server's internal error, or an error this tool does not know. */
  Failure: 3,
  /** Bad usage: unknown command or option, a missing or invalid value (sysexits' EX_USAGE). */
  Usage: 64,
} as const;

/** A mistake on the command line: exit 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ERR_USAGE';
}

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

/** The help text of these options, for each command's `--help`. */
export const CONNECTION_HELP = `  --target HOST:PORT[,HOST:PORT...]  the server(s) to ask; seeds are tried in turn (repeatable)
  --timeout DURATION                 deadline for the whole command, e.g. 500ms, 10s, 2m (default 10s;
                                     a bare number is seconds)
  --cluster NAME                     the cluster's name, if its servers have one
  --tls-ca FILE                      use TLS, trusting this CA (PEM)
  --tls-cert FILE, --tls-key FILE    client certificate and key for mutual TLS (PEM)
  --secret-file FILE                 the cluster's shared secret (one trailing newline is ignored)
  --json                             print one JSON object on stdout instead of text
  -h, --help                         this help`;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What {@link parse} makes of the options `O`. */
export type Values<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/** Parses `args` strictly against `options`: unknown options and stray words are usage errors. */
export function parse<O extends OptionsConfig>(args: readonly string[], options: O): Values<O> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** `--name` must be given. */
export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

/** The targets of `--target`, split on commas and checked. */
export function targets(values: readonly string[] | undefined): ServerAddress[] {
  const list = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError('--target is required');
  for (const target of list) address(target, 'target');
  return list;
}

/** A `host:port` option, checked. */
export function address(value: string, name: string): ServerAddress {
  try {
    parseAddress(value);
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
  return value;
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `500ms`, `10s`, `1.5m`, `1h`, or a bare number of seconds, in milliseconds. */
export function duration(value: string, name = 'timeout'): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = match ? Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!) : Number.NaN;
  if (!(ms >= 1 && ms <= 86_400_000)) throw new UsageError(`--${name} must be a duration from 1ms to 24h such as 500ms, 10s or 2m, got ${JSON.stringify(value)}`);
  return ms;
}

function readOption(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`--${name}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The `TcpChanger` options the connection flags ask for. */
export function changerOptions(values: {
  cluster?: string | undefined;
  'tls-ca'?: string | undefined;
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'secret-file'?: string | undefined;
}): TcpChangerOptions {
  const { cluster, 'tls-ca': ca, 'tls-cert': cert, 'tls-key': key, 'secret-file': secretFile } = values;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls =
    ca !== undefined || cert !== undefined
      ? {
          ...(ca !== undefined ? { ca: readOption(ca, 'tls-ca') } : {}),
          ...(cert !== undefined && key !== undefined ? { cert: readOption(cert, 'tls-cert'), key: readOption(key, 'tls-key') } : {}),
        }
      : undefined;
  let secret: Buffer | undefined;
  if (secretFile !== undefined) {
    const bytes = readOption(secretFile, 'secret-file');
    secret = bytes.at(-1) === 0x0a ? bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1) : bytes;
    if (secret.length === 0) throw new UsageError(`--secret-file: ${secretFile} is empty`);
  }
  return { ...(cluster !== undefined ? { clusterName: cluster } : {}), ...(tls ? { tls } : {}), ...(secret ? { secret } : {}) };
}

/** The exit code for an error a command ended with. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof InvalidOptionError || err instanceof InvalidAddressError) return ExitCode.Usage;
  if (err instanceof MembershipTimeoutError) return ExitCode.Timeout;
  if (
    err instanceof ChangeRejectedError ||
    err instanceof UnsupportedRoleError ||
    err instanceof UnsupportedRequestError ||
    err instanceof HandshakeRefusedError ||
    err instanceof AuthenticationError ||
    err instanceof BadRequestError ||
    err instanceof ConnectionClosedError
  ) {
    return ExitCode.Refused;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return ExitCode.Refused;
  if (typeof code === 'string' && isTlsRefusal(code)) return ExitCode.Refused;
  return ExitCode.Failure;
}

/**
 * A TLS handshake the other side (or our own check of its certificate)
 * refused: an OpenSSL alert such as `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`,
 * Node's `ERR_TLS_CERT_ALTNAME_INVALID`, or an X.509 verification code such
 * as `SELF_SIGNED_CERT_IN_CHAIN` or `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. The
 * help promises exit 1 for "wrong ... TLS"; without this they fell to 3.
 */
function isTlsRefusal(code: string): boolean {
  return code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_CERT') || /^(UNABLE_TO_|[A-Z_]*CERT)/.test(code);
}

/** What a command prints: one JSON object, or text for people. */
export interface Output {
  readonly json: boolean;
  /** Success: `text` for people, `fields` (after `ok` and `command`) for scripts. */
  success(text: string, fields: Record<string, unknown>): void;
}

export function output(command: string, json: boolean): Output {
  return {
    json,
    success(text, fields) {
      process.stdout.write(json ? `${JSON.stringify({ ok: true, command, ...fields })}\n` : `${text}\n`);
    },
  };
}

const WHAT: Record<number, string> = {
  [ExitCode.Refused]: 'refused',
  [ExitCode.Timeout]: 'timed out',
  [ExitCode.Usage]: 'bad usage',
  [ExitCode.Failure]: 'failed',
};

/** Reports `err` (stderr for people, stdout as JSON for scripts) and returns the exit code. */
export function fail(command: string | undefined, err: unknown, json: boolean): number {
  const exitCode = exitCodeOf(err);
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  if (json) {
    const body = { ok: false, ...(command ? { command } : {}), exitCode, error: { name: error.name, ...(typeof code === 'string' ? { code } : {}), message: error.message, ...(cause ? { cause } : {}) } };
    process.stdout.write(`${JSON.stringify(body)}\n`);
    return exitCode;
  }
  const prefix = command ? `raft-membership ${command}` : 'raft-membership';
  // OpenSSL's messages end in a newline of their own.
  let text = `${prefix}: ${WHAT[exitCode]}: ${error.message.trimEnd()}`;
  if (cause) text += `\n  last error: ${cause}`;
  if (exitCode === ExitCode.Timeout && command !== 'members' && command !== 'ping') text += '\n  the change may still commit; running the same command again is safe';
  if (exitCode === ExitCode.Usage) text += `\n  see: raft-membership ${command ? `${command} ` : ''}--help`;
  process.stderr.write(`${text}\n`);
  return exitCode;
}

/** Milliseconds for people: `0.42 ms`, `12 ms`. */
export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`;
}
