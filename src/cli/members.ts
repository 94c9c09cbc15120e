import { TcpChanger } from '../index.js';
import { help, indexField, indexText } from './change.js';
import { CONNECTION_HELP, ExitCode, changerOptions, connectionOptions, duration, output, parse, targets } from './common.js';

export const membersHelp = `Usage: raft-membership members --target HOST:PORT[,...] [options]

Prints the cluster's configuration as its leader knows it: each server's
id, address, and whether it votes. A follower sends the request on to the
leader. Needs servers that serve their configuration (exit 1 otherwise).

${CONNECTION_HELP}

Examples:
  raft-membership members --target 10.0.0.1:7000
  raft-membership members --target 10.0.0.1:7000 --json | jq -r '.members[] | select(.role == "voter") | .id'`;

/** `raft-membership members`. */
export async function members(args: readonly string[]): Promise<number> {
  const values = parse(args, connectionOptions);
  if (values.help) return help(membersHelp);
  const seeds = targets(values.target);
  const timeoutMs = duration(values.timeout);
  const changer = new TcpChanger(changerOptions(values));
  try {
    const configuration = await changer.members(seeds, timeoutMs);
    const rows = [['ID', 'ADDRESS', 'ROLE'], ...configuration.members.map((m) => [m.id, m.address, m.role])];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    const table = rows.map((row) => row.map((cell, column) => (column < row.length - 1 ? cell.padEnd(widths[column]!) : cell)).join('  ')).join('\n');
    const voters = configuration.members.filter((m) => m.role === 'voter').length;
    const summary = `${configuration.members.length} servers, ${voters} voters${indexText(configuration.index)}`;
    output('members', values.json).success(`${table}\n${summary}`, { ...indexField(configuration.index), members: configuration.members });
    return ExitCode.Success;
  } finally {
    changer.close();
  }
}
