/**
 * How a command ends: its exit code, and what it prints for people (text on
 * stdout, failures on stderr) or for scripts (one JSON object on stdout).
 */

/** The exit codes, documented in `raft-membership --help` and the README. */
export const ExitCode = {
  /** Done. */
  Success: 0,
  /** The cluster (or the server) said no: a refused change, handshake, secret, TLS or request; a refused connection (ping only: the others retry it). */
  Refused: 1,
  /** No answer in time: the deadline passed. A change may still commit. */
  Timeout: 2,
  /** Anything else: a bug, a server's internal error, or an error this tool does not know. */
  Failure: 3,
  /** Bad usage: unknown command or option, a missing or invalid value (sysexits' EX_USAGE). */
  Usage: 64,
  /** Interrupted by SIGINT (Ctrl-C): 128 + 2, as shells report it. A change may still commit. */
  Interrupted: 130,
  /** Ended by SIGTERM: 128 + 15. A change may still commit. */
  Terminated: 143,
} as const;

/** A mistake on the command line or in the environment: exit 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ERR_USAGE';
}

/** A command cut short by SIGINT or SIGTERM: exit 130 or 143. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
  readonly code = 'ERR_INTERRUPTED';
  readonly exitCode: number;

  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal} before the cluster answered`);
    this.exitCode = signal === 'SIGINT' ? ExitCode.Interrupted : ExitCode.Terminated;
  }
}

/**
 * Errors that mean "the cluster or the server said no", by `code`: codes
 * rather than classes, so that an error class added to the library later
 * (`TlsMismatchError`) or met through another copy of it maps the same.
 */
const REFUSALS = new Set([
  'ERR_CHANGE_REJECTED',
  'ERR_UNSUPPORTED_ROLE',
  'ERR_UNSUPPORTED_REQUEST',
  'ERR_HANDSHAKE_REFUSED',
  'ERR_AUTHENTICATION',
  'ERR_BAD_REQUEST',
  'ERR_CONNECTION_CLOSED',
  'ERR_TLS_MISMATCH',
  'ECONNREFUSED',
  'ECONNRESET',
]);

const USAGE = new Set(['ERR_USAGE', 'ERR_INVALID_OPTION', 'ERR_INVALID_ADDRESS']);

/** The exit code for an error a command ended with. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof InterruptedError) return err.exitCode;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return ExitCode.Failure;
  if (USAGE.has(code)) return ExitCode.Usage;
  if (code === 'ERR_MEMBERSHIP_TIMEOUT') return ExitCode.Timeout;
  if (REFUSALS.has(code) || isTlsRefusal(code)) return ExitCode.Refused;
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

/** The {@link Output} of `command`. */
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
  [ExitCode.Interrupted]: 'interrupted',
  [ExitCode.Terminated]: 'terminated',
};

/** Commands that change the cluster: cut short, their change may still commit. */
const CHANGES = new Set(['join', 'leave']);

/** Reports `err` (stderr for people, stdout as JSON for scripts) and returns the exit code. */
export function fail(command: string | undefined, err: unknown, json: boolean): number {
  const exitCode = exitCodeOf(err);
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  const unsettled = command !== undefined && CHANGES.has(command) && (exitCode === ExitCode.Timeout || error instanceof InterruptedError);
  const note = unsettled ? `the ${command} may still commit; running the same command again is safe` : undefined;
  if (json) {
    const message = note && error instanceof InterruptedError ? `${error.message}: ${note}` : error.message;
    const body = { ok: false, ...(command ? { command } : {}), exitCode, error: { name: error.name, ...(typeof code === 'string' ? { code } : {}), message, ...(cause ? { cause } : {}) } };
    process.stdout.write(`${JSON.stringify(body)}\n`);
    return exitCode;
  }
  const prefix = command ? `raft-membership ${command}` : 'raft-membership';
  // OpenSSL's messages end in a newline of their own.
  let text = `${prefix}: ${WHAT[exitCode] ?? 'failed'}: ${error.message.trimEnd()}`;
  if (cause) text += `\n  last error: ${cause}`;
  if (note) text += `\n  ${note}`;
  if (exitCode === ExitCode.Usage) text += `\n  see: raft-membership ${command ? `${command} ` : ''}--help`;
  process.stderr.write(`${text}\n`);
  return exitCode;
}

/** Milliseconds for people: `0.42 ms`, `12 ms`. */
export function ms(value: number): string {
  return value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`;
}
