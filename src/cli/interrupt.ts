import { InterruptedError } from './report.js';

/** Ctrl-C and `kill`: the signals an operator ends a command with. */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The signal handlers of one command, from {@link interruptible}. */
export interface Interruption {
  /** Aborted, with an {@link InterruptedError} as its reason, by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Removes the handlers: the command is over. */
  release(): void;
}

/**
 * Catches SIGINT and SIGTERM while a command runs: the first aborts the
 * command's calls, which end at once and are reported like any failure
 * (with `--json` too); a second one, should closing hang, exits at once
 * with the same code.
 */
export function interruptible(): Interruption {
  const controller = new AbortController();
  const handlers = SIGNALS.map((name) => {
    const handler = (): void => {
      if (!controller.signal.aborted) {
        controller.abort(new InterruptedError(name));
        return;
      }
      process.exit((controller.signal.reason as InterruptedError).exitCode);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    release() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
