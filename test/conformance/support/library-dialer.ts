import { readFileSync } from 'node:fs';
import { TcpChanger, type DialerFunction } from '../../../src/index.js';
import { exitCodeOf } from '../../../src/cli/common.js';

/**
 * The library's TcpChanger as a dialer under test, in-process: what the
 * dialer contract asks of a command (the call from the invocation, exit 0 or
 * not, a JSON result line), without a process per case.
 */
export const libraryDialer: DialerFunction = async function library(invocation, signal) {
  const secret = invocation.secretFile === undefined ? undefined : readFileSync(invocation.secretFile);
  const changer = new TcpChanger({
    address: invocation.address,
    clusterName: invocation.clusterName,
    ...(secret ? { secret } : {}),
    ...(invocation.tlsCaFile === undefined ? {} : { tls: { ca: readFileSync(invocation.tlsCaFile) } }),
    minBackoffMs: 20,
    maxBackoffMs: 200,
  });
  try {
    const options = { timeoutMs: invocation.timeoutMs, signal };
    if (invocation.operation === 'members') {
      const { index, members } = await changer.members(invocation.target, options);
      return { exitCode: 0, stdout: JSON.stringify({ index, members }) };
    }
    const index =
      invocation.operation === 'join'
        ? await changer.join(invocation.id, invocation.target, { ...options, role: invocation.role })
        : await changer.leave(invocation.id, invocation.target, options);
    return { exitCode: 0, stdout: JSON.stringify({ index: index ?? null }) };
  } catch (err) {
    return { exitCode: exitCodeOf(err), stdout: JSON.stringify({ error: String(err) }) };
  } finally {
    changer.close();
  }
};
