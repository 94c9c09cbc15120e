import { TcpChanger, isServerRole, type ServerRole } from '../index.js';
import { CONNECTION_HELP, ExitCode, address, changerOptions, connectionOptions, duration, output, parse, required, targets, UsageError } from './common.js';

export const joinHelp = `Usage: raft-membership join --id ID --address HOST:PORT --target HOST:PORT[,...] [options]

Asks the cluster to add server ID, whose raft listens at --address. Any
server of the cluster will do as a target: followers send the request on
to the leader. Waits until the change is committed.

  --id ID                            the joining server's raft id
  --address HOST:PORT                the joining server's raft address
  --role voter|nonvoter              how it takes part (default voter)
${CONNECTION_HELP}

Examples:
  raft-membership join --id n4 --address 10.0.0.4:7000 --target 10.0.0.1:7000,10.0.0.2:7000
  raft-membership join --id n5 --address 10.0.0.5:7000 --target 10.0.0.1:7000 --role nonvoter --timeout 30s
  raft-membership join --id n4 --address 10.0.0.4:7000 --target 10.0.0.1:7000 --json | jq .index`;

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
export async function join(args: readonly string[]): Promise<number> {
  const values = parse(args, joinOptions);
  if (values.help) return help(joinHelp);
  const id = required(values.id, 'id');
  const own = address(required(values.address, 'address'), 'address');
  const role = values.role;
  if (!isServerRole(role)) throw new UsageError(`--role must be voter or nonvoter, got ${JSON.stringify(role)}`);
  const seeds = targets(values.target);
  const timeoutMs = duration(values.timeout);
  const changer = new TcpChanger({ ...changerOptions(values), address: own });
  try {
    const index = await changer.join(id, seeds, { timeoutMs, role: role as ServerRole });
    output('join', values.json).success(`joined: ${id} at ${own} is a ${role} of the cluster${indexText(index)}`, { id, address: own, role, ...indexField(index) });
    return ExitCode.Success;
  } finally {
    changer.close();
  }
}

/** `raft-membership leave`. */
export async function leave(args: readonly string[]): Promise<number> {
  const values = parse(args, leaveOptions);
  if (values.help) return help(leaveHelp);
  const id = required(values.id, 'id');
  const seeds = targets(values.target);
  const timeoutMs = duration(values.timeout);
  const changer = new TcpChanger(changerOptions(values));
  try {
    const index = await changer.leave(id, seeds, timeoutMs);
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
