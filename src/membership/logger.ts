import { debuglog, inspect } from 'node:util';
import { invalidOption } from './option-checks.js';

/** The structured part of a log entry: who, what, how many. */
export type LogFields = Record<string, unknown>;

/**
 * What the `logger` option takes: pino's and bunyan's shape, fields first
 * (`logger.warn({ limit: 1024 }, 'connection refused')`), so a pino or
 * bunyan logger (or a child of one) fits as it is, and so does `console`.
 * Every method is optional; a missing one drops that level. Whatever the
 * logger, `NODE_DEBUG=raft-membership` also prints every entry to stderr.
 */
export interface Logger {
  /** Routine events: dials, redirects, refused preambles. */
  debug?(fields: LogFields, message: string): void;
  /** Noteworthy events. */
  info?(fields: LogFields, message: string): void;
  /** Something a peer did wrong, or a limit reached. */
  warn?(fields: LogFields, message: string): void;
  /** A failure the operator should look at. */
  error?(fields: LogFields, message: string): void;
}

/**
 * How the library writes its log, message first: what the resolved options'
 * `logger` is. It passes each entry on to the configured {@link Logger} in
 * its own shape and to `NODE_DEBUG=raft-membership`; a level that nobody
 * reads is `undefined`, so that writing to it (with `?.`) costs nothing.
 */
export interface LogWriter {
  /** Routine events. */
  debug?(message: string, fields?: LogFields): void;
  /** Noteworthy events. */
  info?(message: string, fields?: LogFields): void;
  /** Something a peer did wrong, or a limit reached. */
  warn?(message: string, fields?: LogFields): void;
  /** A failure the operator should look at. */
  error?(message: string, fields?: LogFields): void;
}

/** Writes nothing. */
export const silentLogger: LogWriter = Object.freeze({});

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Node's `util.debuglog` for the section `raft-membership`, as undici does for its own. */
const nodeDebug = debuglog('raft-membership');

/**
 * The writer for a `logger` option (checked: an object whose levels are
 * functions), that also prints to stderr when `NODE_DEBUG` names
 * `raft-membership` (read once, when the process starts, as Node does).
 */
export function loggerOption(logger: Logger | undefined): LogWriter {
  if (logger !== undefined && (typeof logger !== 'object' || logger === null)) {
    throw invalidOption('logger', 'an object with debug/info/warn/error methods (pino, bunyan, console)', logger);
  }
  for (const level of LEVELS) {
    const method: unknown = logger?.[level];
    if (method !== undefined && typeof method !== 'function') throw invalidOption(`logger.${level}`, 'a function', method);
  }
  const debugging = nodeDebug.enabled;
  if (!logger && !debugging) return silentLogger;
  const writer: { -readonly [L in (typeof LEVELS)[number]]?: (message: string, fields?: LogFields) => void } = {};
  for (const level of LEVELS) {
    if (!debugging && !logger?.[level]) continue;
    writer[level] = (message, fields) => {
      if (debugging) nodeDebug('%s %s%s', level, message, fields ? ` ${inspect(fields, { breakLength: Number.POSITIVE_INFINITY, depth: 2 })}` : '');
      // A method call, so that `this` is the logger: pino's methods need it.
      if (fields) logger?.[level]?.(fields, message);
      else logger?.[level]?.({}, message);
    };
  }
  return Object.freeze(writer);
}
