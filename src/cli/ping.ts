import { CallDeadline } from '../client/call-deadline.js';
import { resolveClientOptions } from '../client/client-options.js';
import { ping as pingServer } from '../client/ping.js';
import { help } from './change.js';
import { CONNECTION_HELP, ExitCode, callOptions, changerOptions, connectionOptions, label, ms, output, parse, targets, type CommandContext } from './common.js';

export const pingHelp = `Usage: raft-membership ping --target HOST:PORT[,...] [options]

Checks that each target speaks the raft-membership protocol: the preamble
is accepted (protocol version, membership channel, cluster name, TLS and
secret), and one request gets a valid answer. Reports the time of both.
Nothing is retried or redirected: each target is asked itself.

${CONNECTION_HELP}

Examples:
  raft-membership ping --target 10.0.0.1:7000
  raft-membership ping --target 10.0.0.1:7000,10.0.0.2:7000 --cluster prod --timeout 2s --json`;

const ANSWERS: Record<string, string> = {
  ok: 'the leader answered',
  different_leader: 'a follower answered',
  unknown_leader: 'answered: no leader known',
  unsupported: 'answered: configuration not served',
};

/** `raft-membership ping`: every target, in turn; fails with the first failure. */
export async function ping(args: readonly string[], context: CommandContext = {}): Promise<number> {
  const values = parse(args, connectionOptions);
  if (values.help) return help(pingHelp);
  const list = targets(values.target, label(values, 'target'));
  const { timeoutMs } = callOptions(values, context);
  const options = resolveClientOptions(changerOptions(values));
  // Its timer is ref'd, unlike AbortSignal.timeout(): the client's sockets
  // are unref'd, so the deadline is what keeps the process waiting for them.
  const call = new CallDeadline(timeoutMs, context.signal);
  const results = [];
  try {
    for (const target of list) {
      try {
        results.push(await pingServer(target, options, call));
      } catch (err) {
        throw call.translate(err, `ping of ${target}`, undefined);
      }
    }
  } finally {
    call.release();
  }
  const text = results
    .map(
      (r) =>
        `${r.target}: protocol version ${r.version}, ${r.channel} channel accepted in ${ms(r.handshakeMs)}; ` +
        `round trip ${ms(r.roundTripMs)} (${ANSWERS[r.answer] ?? `answered ${r.answer}`})`,
    )
    .join('\n');
  output('ping', values.json).success(text, { results });
  return ExitCode.Success;
}
