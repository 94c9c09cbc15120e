import { TcpChanger, isServerRole, type ConfigurationServer, type ServerAddress, type ServerID, type ServerRole } from '../index.js';
import { MIN_TIMEOUT_MS } from '../membership/option-checks.js';
import {
  CONNECTION_HELP,
  ExitCode,
  UsageError,
  address,
  callOptions,
  changerOptions,
  connectionOptions,
  label,
  output,
  parse,
  required,
  targets,
  type CommandContext,
} from './common.js';

export const joinHelp = `Usage: raft-membership join --id ID --address HOST:PORT --target HOST:PORT[,...] [options]

Asks the cluster to add server ID. --address is the joining server's own
address: the one port where its MembershipServer listens, for membership
requests and raft alike; the cluster records it and dials raft there. Any
server of the cluster will do as a target: followers send the request on
to the leader. Waits until the change is committed, then reads the
configuration back (where the servers serve it) and prints what the
cluster holds, which is not always what was asked: on rafts that do as
hashicorp/raft does, a voter asked to join as a nonvoter stays a voter,
and a nonvoter asked to join as a voter is promoted.

  --id ID                            the joining server's raft id
  --address HOST:PORT                the joining server's own address (its MembershipServer's port)
  --role voter|nonvoter              how it takes part (default voter)
${CONNECTION_HELP}

Examples:
  raft-membership join --id n4 --address 10.0.0.4:7000 --target 10.0.0.1:7000,10.0.0.2:7000
  raft-membership join --id n5 --address 10.0.0.5:7000 --target 10.0.0.1:7000 --role nonvoter --timeout 30s
  raft-membership join --id n4 --address 10.0.0.4:7000 --target 10.0.0.1:7000 --json | jq .role`;

export const leaveHelp = `Usage: raft-membership leave --id ID --target HOST:PORT[,...] [options]

Asks the cluster to remove server ID. Waits until the change is committed.
Leaving a cluster the server is not in succeeds.

  --id ID                            the leaving server's raft id
${CONNECTION_HELP}

Examples:
  raft-membership leave --id n4 --target 10.0.0.1:7000
  raft-membership leave --id n4 --target 10.0.0.1:7000 --tls-ca ca.pem --secret-file /etc/raft/secret`;

const joinOptions = { ...connectionOptions, id: { type: 'string' }, address: { type: 'string' }, role: { type: 'string', default: 'voter' } } as const;
const leaveOptions = { ...connectionOptions, id: { type: 'string' } } as const;

/** `raft-membership join`. */
export async function join(args: readonly string[], context: CommandContext = {}): Promise<number> {
  const values = parse(args, joinOptions);
  if (values.help) return help(joinHelp);
  const id = required(values.id, 'id');
  const own = address(required(values.address, 'address'), 'address');
  const role = values.role;
  if (!isServerRole(role)) throw new UsageError(`--role must be voter or nonvoter, got ${JSON.stringify(role)}`);
  const seeds = targets(values.target, label(values, 'target'));
  const call = callOptions(values, context);
  const deadline = performance.now() + call.timeoutMs;
  const changer = new TcpChanger({ ...changerOptions(values), address: own });
  try {
    const index = await changer.join(id, seeds, { ...call, role });
    const held = await readBack(changer, id, seeds, deadline, context.signal);
    const asked = { address: own, role };
    output('join', values.json).success(joinedText(id, asked, held, index), {
      id,
      address: 'role' in held ? held.address : own,
      role: 'role' in held ? held.role : null,
      requested: asked,
      ...indexField(index),
      ...('unknown' in held ? { roleUnknown: held.unknown } : {}),
    });
    return ExitCode.Success;
  } finally {
    changer.close();
  }
}

/** What the cluster holds for a server after its join, or why that is not known. */
type Held = ConfigurationServer | { readonly unknown: string };

/**
 * Reads the configuration back after a join: the cluster may hold
 * something else than was asked (a voter that joins as a non-voter stays a
 * voter), and the operator must see what is true. Within what is left of
 * the command's deadline; a failure leaves the role unknown, not the join.
 */
async function readBack(changer: TcpChanger, id: ServerID, seeds: readonly ServerAddress[], deadline: number, signal: AbortSignal | undefined): Promise<Held> {
  const timeoutMs = Math.floor(deadline - performance.now());
  if (timeoutMs < MIN_TIMEOUT_MS) return { unknown: 'no time was left to read the configuration back' };
  try {
    const { members } = await changer.members(seeds, signal ? { timeoutMs, signal } : { timeoutMs });
    return members.find((m) => m.id === id) ?? { unknown: `${id} is not in the configuration the leader reported` };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ERR_UNSUPPORTED_REQUEST') return { unknown: 'the server does not serve its configuration' };
    return { unknown: `reading the configuration back failed: ${(err as Error).message}` };
  }
}

function joinedText(id: ServerID, asked: { address: ServerAddress; role: ServerRole }, held: Held, index: number | undefined): string {
  if ('unknown' in held) {
    return `joined: ${id} at ${asked.address} is in the cluster${indexText(index)}; the role it holds is unknown: ${held.unknown}`;
  }
  const text = `joined: ${id} at ${held.address} is a ${held.role} of the cluster${indexText(index)}`;
  if (held.role === asked.role && held.address === asked.address) return text;
  return `${text}\n  (asked for ${asked.role} at ${asked.address}; the line above is what the cluster holds)`;
}

/** `raft-membership leave`. */
export async function leave(args: readonly string[], context: CommandContext = {}): Promise<number> {
  const values = parse(args, leaveOptions);
  if (values.help) return help(leaveHelp);
  const id = required(values.id, 'id');
  const seeds = targets(values.target, label(values, 'target'));
  const call = callOptions(values, context);
  const changer = new TcpChanger(changerOptions(values));
  try {
    const index = await changer.leave(id, seeds, call);
    output('leave', values.json).success(`left: ${id} is no longer in the cluster${indexText(index)}`, { id, ...indexField(index) });
    return ExitCode.Success;
  } finally {
    changer.close();
  }
}

export function help(text: string): number {
  process.stdout.write(`${text}\n`);
  return ExitCode.Success;
}

export const indexText = (index: number | undefined): string => (index === undefined ? '' : ` (configuration index ${index})`);
export const indexField = (index: number | undefined): { index?: number } => (index === undefined ? {} : { index });
