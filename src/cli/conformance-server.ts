import { spawn } from 'node:child_process';
import { CONFORMANCE_ID_PREFIX, runServerConformance, type ServerConformanceOptions } from '../index.js';
import { address, changerOptions, duration, parse, required, UsageError, type CommandContext } from './common.js';
import { REPORT_HELP, REPORT_OPTIONS, finish, names } from './conformance-report.js';

export const conformanceServerHelp = `Usage: raft-membership conformance server --target HOST:PORT [options]

Runs every server case of docs/conformance.md against the server at
--target, which should be its cluster's leader. Unless --no-changes is
given, it joins non-voters with ids starting ${CONFORMANCE_ID_PREFIX} at
addresses nothing listens on, and removes them before it ends.

What the kit cannot guess:
  --target HOST:PORT           the server to test: the leader of its cluster
  --follower HOST:PORT         a follower of the same cluster (redirect cases)
  --cluster NAME               the cluster name the target expects
  --secret-file FILE           the target's shared secret (§4 cases; one trailing newline is ignored)
  --tls-ca FILE                use TLS, trusting this CA (PEM)
  --tls-cert FILE, --tls-key FILE  client certificate and key for mutual TLS
  --no-members                 the target does not serve its configuration (members → unsupported)
  --no-changes                 make no membership change: skip the cases that need one
  --join-role voter|nonvoter   the role of the servers the kit joins (default nonvoter)
  --join-host HOST             the host of the addresses it joins (default 192.0.2.1, TEST-NET-1)
  --max-frame-size BYTES       the target's maximum frame size (default 65536)
  --preamble-deadline DURATION the target's preamble deadline (default 5s)
  --idle-timeout DURATION      the target's idle timeout: runs life.idle-timeout
  --max-connections N          the target's connection limit: runs hello.busy
  --frame-deadline DURATION    the target's frame deadline: runs life.frame-deadline
  --raft-echo                  the target's raft channel echoes its bytes: runs raft.bytes-untouched
  --close-command COMMAND      a shell command that makes the target begin to close: runs the
                               closing cases, last (the target is gone afterwards)
  --wait DURATION              how long to wait for an expected reply or response (default 2s)
${REPORT_HELP}

Examples:
  raft-membership conformance server --target 127.0.0.1:7000 --follower 127.0.0.1:7001
  raft-membership conformance server --target 10.0.0.1:7000 --no-changes --junit conformance.xml
  raft-membership conformance server --target 127.0.0.1:7000 --secret-file secret --only hello,auth`;

const serverOptions = {
  ...REPORT_OPTIONS,
  target: { type: 'string' },
  follower: { type: 'string' },
  cluster: { type: 'string' },
  'secret-file': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'no-members': { type: 'boolean', default: false },
  'no-changes': { type: 'boolean', default: false },
  'join-role': { type: 'string', default: 'nonvoter' },
  'join-host': { type: 'string' },
  'max-frame-size': { type: 'string' },
  'preamble-deadline': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'frame-deadline': { type: 'string' },
  'raft-echo': { type: 'boolean', default: false },
  'close-command': { type: 'string' },
  wait: { type: 'string' },
} as const;

/** `raft-membership conformance server`. */
export async function conformanceServer(args: readonly string[], context: CommandContext = {}): Promise<number> {
  const values = parse(args, serverOptions);
  if (values.help) {
    process.stdout.write(`${conformanceServerHelp}\n`);
    return 0;
  }
  const target = address(required(values.target, 'target'), 'target');
  const role = values['join-role'];
  if (role !== 'voter' && role !== 'nonvoter') throw new UsageError(`--join-role must be voter or nonvoter, got ${JSON.stringify(role)}`);
  const connection = changerOptions(values);
  const closeCommand = values['close-command'];
  const options: ServerConformanceOptions = {
    ...(connection.clusterName !== undefined ? { clusterName: connection.clusterName } : {}),
    ...(connection.secret !== undefined ? { secret: connection.secret } : {}),
    ...(connection.tls !== undefined ? { tls: connection.tls } : {}),
    ...(values.follower !== undefined ? { follower: address(values.follower, 'follower') } : {}),
    members: !values['no-members'],
    changes: !values['no-changes'],
    joinRole: role,
    ...(values['join-host'] !== undefined ? { joinHost: values['join-host'] } : {}),
    ...(values['max-frame-size'] !== undefined ? { maxFrameSize: count(values['max-frame-size'], 'max-frame-size') } : {}),
    ...(values['preamble-deadline'] !== undefined ? { preambleTimeoutMs: duration(values['preamble-deadline'], 'preamble-deadline') } : {}),
    ...(values['idle-timeout'] !== undefined ? { idleTimeoutMs: duration(values['idle-timeout'], 'idle-timeout') } : {}),
    ...(values['max-connections'] !== undefined ? { maxConnections: count(values['max-connections'], 'max-connections') } : {}),
    ...(values['frame-deadline'] !== undefined ? { frameTimeoutMs: duration(values['frame-deadline'], 'frame-deadline') } : {}),
    raftEcho: values['raft-echo'],
    ...(closeCommand !== undefined ? { closeTarget: () => runShell(closeCommand) } : {}),
    ...(values.wait !== undefined ? { waitMs: duration(values.wait, 'wait') } : {}),
    only: names(values.only),
    skip: names(values.skip),
    ...(context.signal ? { signal: context.signal } : {}),
  };
  process.stderr.write(
    options.changes
      ? `raft-membership conformance: testing ${target}; this run CHANGES its cluster's membership: it joins ${role}s with ids ${CONFORMANCE_ID_PREFIX}* and removes them at the end (--no-changes for a run that changes nothing)\n`
      : `raft-membership conformance: testing ${target} without membership changes\n`,
  );
  return finish(await runServerConformance(target, options), values);
}

function count(value: string, name: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Runs `command` in a shell; resolves when it exits, whatever its status. */
function runShell(command: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: 'inherit' });
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}
