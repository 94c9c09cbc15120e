import type { ChangeOptions } from '../membership/changer.js';
import { checkOptionKeys, invalidOption, timeoutValue } from '../membership/option-checks.js';
import { ServerRole, isServerRole, type ServerAddress, type ServerID } from '../membership/types.js';
import { MAX_SERVER_ID_BYTES } from '../protocol/messages.js';

/** A call's options, checked, with the role filled in. */
export interface CallOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly role: ServerRole;
}


/**
 * Checks a call's `timeout` argument (a number of milliseconds, or
 * `{ timeoutMs, signal, role }`); `role` only where `withRole`. Throws
 * `InvalidOptionError` naming the argument.
 */
export function callOptions(timeout: unknown, withRole: boolean): CallOptions {
  if (typeof timeout === 'number') return { timeoutMs: timeoutValue('timeout', timeout), signal: undefined, role: ServerRole.Voter };
  if (typeof timeout !== 'object' || timeout === null || Array.isArray(timeout)) {
    const shape = withRole ? '{ timeoutMs, signal, role }' : '{ timeoutMs, signal }';
    throw invalidOption('timeout', `a number of milliseconds, or an object ${shape}`, timeout, timeout === undefined ? ' (every call needs a deadline)' : '');
  }
  if (withRole) return resolveChangeOptions(timeout as ChangeOptions);
  const { timeoutMs, signal } = resolveDialOptions(timeout as DialOptions);
  return { timeoutMs, signal, role: ServerRole.Voter };
}

function resolveChangeOptions(options: ChangeOptions): CallOptions {
  checkOptionKeys('the options of join', options, resolveChangeOptions, { timeoutMs: 1_000 });
  const role = options.role ?? ServerRole.Voter;
  if (!isServerRole(role)) throw invalidOption('role', '"voter" or "nonvoter"', role);
  return { timeoutMs: timeoutValue('timeoutMs', options.timeoutMs), signal: signalOption(options.signal), role };
}

/** The options of a call that takes no role: `members` and `dial`. */
type DialOptions = Omit<ChangeOptions, 'role'>;

function resolveDialOptions(options: DialOptions): { timeoutMs: number; signal: AbortSignal | undefined } {
  checkOptionKeys('the options of this call', options, resolveDialOptions, { timeoutMs: 1_000 });
  return { timeoutMs: timeoutValue('timeoutMs', options.timeoutMs), signal: signalOption(options.signal) };
}

function signalOption(signal: unknown): AbortSignal | undefined {
  if (signal === undefined || signal instanceof AbortSignal) return signal;
  throw invalidOption('signal', 'an AbortSignal', signal);
}

/** Checks a server id argument: a non-empty string of at most 256 UTF-8 bytes. */
export function checkServerId(id: unknown): asserts id is ServerID {
  // 85 UTF-16 units are at most 255 bytes in UTF-8: only a longer id needs counting.
  if (typeof id === 'string' && id.length > 0 && (id.length <= 85 || Buffer.byteLength(id, 'utf8') <= MAX_SERVER_ID_BYTES)) return;
  throw invalidOption('id', `a non-empty string of at most ${MAX_SERVER_ID_BYTES} UTF-8 bytes`, id);
}

/** Checks a call's `target` argument: an address, or a non-empty list of them. Each is parsed by the caller. */
export function targetList(target: unknown): readonly ServerAddress[] {
  if (typeof target === 'string') return [target];
  if (Array.isArray(target) && target.length > 0 && target.every((seed) => typeof seed === 'string')) return [...(target as string[])];
  throw invalidOption('target', 'a "host:port" string, or a non-empty array of them', target);
}
