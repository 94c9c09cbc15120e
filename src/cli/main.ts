#!/usr/bin/env node
/**
 * The `raft-membership` command: join, leave, members and ping against a
 * running cluster, with the library's own client, and the conformance kit
 * for other implementations of the wire format. Exit codes: 0 success,
 * 1 refused, 2 timeout, 3 other failure (a server's internal error too), 64 bad usage,
 * 130 / 143 interrupted by SIGINT / SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join, leave } from './change.js';
import { ENVIRONMENT, ExitCode, UsageError, fail, type CommandContext } from './common.js';
import { conformance } from './conformance.js';
import { interruptible } from './interrupt.js';
import { members } from './members.js';
import { ping } from './ping.js';

const COMMANDS: Record<string, (args: readonly string[], context: CommandContext) => Promise<number>> = { join, leave, members, ping, conformance };

export const mainHelp = `Usage: raft-membership <command> [options]

Join and leave a raft cluster whose servers run raft-membership, read its
configuration, or check that a server answers.

Commands:
  join      add a server to the cluster (as a voter or a non-voter)
  leave     remove a server from the cluster
  members   print the cluster's configuration as the leader knows it
  ping      check that servers speak the protocol, and how fast they answer
  conformance server|client
            test another implementation of the wire format (docs/conformance.md)
  help CMD  the options of a command (also: raft-membership CMD --help)

Exit codes:
  0   success
  1   refused: the cluster or server said no (change rejected, unsupported role or
      request, wrong cluster name, secret or TLS; for ping, which never
      retries, also a refused connection)
  2   timeout: no answer within --timeout; a join or leave may still commit,
      and running it again is safe
  3   any other failure
  64  bad usage: unknown command or option, missing or invalid value (a --timeout
      without its unit among them)
  130 interrupted by Ctrl-C (SIGINT), 143 by SIGTERM: the command stopped
      waiting; a join or leave may still commit, and running it again is safe

Environment: the common options can be set once, as etcdctl's ETCDCTL_* are
(a flag on the command line wins):
${Object.entries(ENVIRONMENT)
  .map(([option, variable]) => `  ${variable.padEnd(28)}  --${option}`)
  .join('\n')}

Examples:
  raft-membership join --id n4 --address 10.0.0.4:7000 --target 10.0.0.1:7000,10.0.0.2:7000
  raft-membership leave --id n4 --target 10.0.0.1:7000 --timeout 30s
  raft-membership members --target 10.0.0.1:7000 --json
  raft-membership ping --target 10.0.0.1:7000 --cluster prod --tls-ca ca.pem`;

/** Runs the command line `args` (without `node` and the script); resolves to the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  const json = args.includes('--json');
  try {
    if (command === undefined || command === '--help' || command === '-h') {
      process.stdout.write(`${mainHelp}\n`);
      return command === undefined ? ExitCode.Usage : ExitCode.Success;
    }
    if (command === '--version' || command === '-v') {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return ExitCode.Success;
    }
    if (command === 'help') {
      const topic = rest[0];
      return topic === undefined ? main(['--help']) : main([topic, '--help']);
    }
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    return await interrupting((signal) => run(rest, { signal }));
  } catch (err) {
    return fail(command !== undefined && command in COMMANDS ? command : undefined, err, json);
  }
}

/**
 * Runs a command with SIGINT and SIGTERM caught: either one aborts its
 * calls, and the command ends with the interruption (whatever error the
 * aborted call rejected with: the reason itself, or an AbortError whose
 * cause it is).
 */
async function interrupting(command: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const interruption = interruptible();
  try {
    return await command(interruption.signal);
  } catch (err) {
    throw interruption.signal.aborted ? interruption.signal.reason : err;
  } finally {
    interruption.release();
  }
}

process.exitCode = await main(process.argv.slice(2));
