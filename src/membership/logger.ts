/**
 * Where the server and client report what happens to connections. Every
 * method is optional; the default logger says nothing. `console` fits.
 */
export interface Logger {
  /** Routine events: dials, redirects, refused preambles. */
  debug?(message: string, fields?: Record<string, unknown>): void;
  /** Noteworthy events. */
  info?(message: string, fields?: Record<string, unknown>): void;
  /** Something a peer did wrong, or a limit reached. */
  warn?(message: string, fields?: Record<string, unknown>): void;
  /** A failure the operator should look at. */
  error?(message: string, fields?: Record<string, unknown>): void;
}

/** The default: says nothing. */
export const silentLogger: Logger = Object.freeze({});
