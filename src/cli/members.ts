import { TcpChanger, type ClusterConfiguration, type ConfigurationServer } from '../index.js';
import { help, indexField, indexText } from './change.js';
import { CONNECTION_HELP, ExitCode, callOptions, changerOptions, connectionOptions, label, output, parse, targets, type CommandContext } from './common.js';

export const membersHelp = `Usage: raft-membership members --target HOST:PORT[,...] [options]

Prints the cluster's configuration as its leader knows it: each server's
id, address, whether it votes, and which one leads. A follower sends the
request on to the leader. Needs servers whose raft reports its
configuration, given to handleChangeRequests (exit 1 otherwise).

${CONNECTION_HELP}

Examples:
  raft-membership members --target 10.0.0.1:7000
  raft-membership members --target 10.0.0.1:7000 --json | jq -r '.members[] | select(.role == "voter") | .id'`;

/**
 * A configuration and, when the client reports it, the address of the
 * server that answered: the leader, since only a leader answers `members`.
 */
export type AnsweredConfiguration = ClusterConfiguration & { readonly leader?: string };

/** `raft-membership members`. */
export async function members(args: readonly string[], context: CommandContext = {}): Promise<number> {
  const values = parse(args, connectionOptions);
  if (values.help) return help(membersHelp);
  const seeds = targets(values.target, label(values, 'target'));
  const call = callOptions(values, context);
  const changer = new TcpChanger(changerOptions(values));
  try {
    const configuration: AnsweredConfiguration = await changer.members(seeds, call);
    const { text, fields } = describeMembers(configuration);
    output('members', values.json).success(text, fields);
    return ExitCode.Success;
  } finally {
    changer.close();
  }
}

/** The table for people and the fields for `--json`, with the leader marked when it is known. */
export function describeMembers(configuration: AnsweredConfiguration): { text: string; fields: Record<string, unknown> } {
  const { members: servers, leader } = configuration;
  const leading = leader === undefined ? undefined : servers.find((m) => m.address === leader);
  const header = ['ID', 'ADDRESS', 'ROLE', ...(leader === undefined ? [] : ['LEADER'])];
  const row = (m: ConfigurationServer): string[] => [m.id, m.address, m.role, ...(leader === undefined ? [] : [m === leading ? 'yes' : ''])];
  const rows = [header, ...servers.map(row)];
  const widths = header.map((_, column) => Math.max(...rows.map((r) => r[column]!.length)));
  const table = rows.map((r) => r.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
  const voters = servers.filter((m) => m.role === 'voter').length;
  let summary = `${servers.length} servers, ${voters} voters`;
  if (leading) summary += `, leader ${leading.id}`;
  else if (leader !== undefined) summary += `; answered by ${leader}, which is not in this configuration`;
  summary += indexText(configuration.index);
  const leaderField = leader === undefined ? {} : { leader: leading ? { id: leading.id, address: leader } : { address: leader } };
  return { text: `${table}\n${summary}`, fields: { ...indexField(configuration.index), ...leaderField, members: servers } };
}
