import { ConformanceSetupError } from '../index.js';
import { caseCatalog } from '../conformance/catalog.js';
import { ExitCode, UsageError, type CommandContext } from './common.js';
import { conformanceClient, conformanceClientHelp } from './conformance-client.js';
import { conformanceServer, conformanceServerHelp } from './conformance-server.js';

export const conformanceHelp = `Usage: raft-membership conformance server --target HOST:PORT [options]
       raft-membership conformance client [options] -- COMMAND [ARG...]
       raft-membership conformance list

Tests an implementation of docs/wire-format.md: a server at HOST:PORT, or a
dialer (client) run as COMMAND against the kit's scripted servers. Every case
cites the rule it checks and ends OK, NON-STRICT (a SHOULD not met),
INFORMATIONAL (a MAY: what was seen), FAILED (a MUST broken) or SKIPPED (it
needs an option or the target's cooperation). docs/conformance.md tells how.

  server    test a server (see: raft-membership conformance server --help)
  client    test a dialer (see: raft-membership conformance client --help)
  list      print every case, both sides, as Markdown

Exit codes: 0 no MUST broken, 1 a MUST broken (with --strict, a SHOULD too),
3 the kit could not test at all (no connection, a refused preamble, a command
that does not start), 64 bad usage.`;

/** `raft-membership conformance`. */
export async function conformance(args: readonly string[], context: CommandContext = {}): Promise<number> {
  const [side, ...rest] = args;
  try {
    if (side === 'server') return await conformanceServer(rest, context);
    if (side === 'client') return await conformanceClient(rest, context);
  } catch (err) {
    if (!(err instanceof ConformanceSetupError)) throw err;
    process.stderr.write(`raft-membership conformance: could not test: ${err.message}\n`);
    return ExitCode.Failure;
  }
  if (side === 'list') {
    process.stdout.write(`${caseCatalog()}\n`);
    return ExitCode.Success;
  }
  if (side === undefined || side === '--help' || side === '-h' || side === 'help') {
    const topic = rest[0];
    process.stdout.write(`${topic === 'server' ? conformanceServerHelp : topic === 'client' ? conformanceClientHelp : conformanceHelp}\n`);
    return side === undefined ? ExitCode.Usage : ExitCode.Success;
  }
  throw new UsageError(`conformance: unknown side ${JSON.stringify(side)}: server, client or list`);
}
