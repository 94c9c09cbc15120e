import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ChangeRejectedError,
  HandshakeRefusedError,
  InvalidOptionError,
  MembershipTimeoutError,
  RemoteError,
  UnsupportedRoleError,
} from '../../src/index.js';
import { ExitCode, InterruptedError, UsageError, exitCodeOf } from '../../src/cli/report.js';

/** An error as another copy of the library (or a newer one) would make it: known only by its code. */
const coded = (code: string): Error => Object.assign(new Error(code), { code });

describe('exitCodeOf', () => {
  it.each([
    ['a change the cluster rejected', new ChangeRejectedError('taken'), ExitCode.Refused],
    ['a role the raft does not support', new UnsupportedRoleError('nonvoter'), ExitCode.Refused],
    ['a refused handshake', new HandshakeRefusedError(3, 'wrong_cluster'), ExitCode.Refused],
    ['a wrong secret', new AuthenticationError('no proof'), ExitCode.Refused],
    ['TLS on one side only (TlsMismatchError, by its code)', coded('ERR_TLS_MISMATCH'), ExitCode.Refused],
    ['a certificate the client does not trust', coded('SELF_SIGNED_CERT_IN_CHAIN'), ExitCode.Refused],
    ['an OpenSSL alert', coded('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), ExitCode.Refused],
    ['a refused connection', coded('ECONNREFUSED'), ExitCode.Refused],
    ['the deadline', new MembershipTimeoutError('late'), ExitCode.Timeout],
    ['bad usage', new UsageError('--id is required'), ExitCode.Usage],
    ['an invalid option', new InvalidOptionError('timeoutMs'), ExitCode.Usage],
    ['Ctrl-C', new InterruptedError('SIGINT'), ExitCode.Interrupted],
    ['SIGTERM', new InterruptedError('SIGTERM'), ExitCode.Terminated],
    ["a server's internal error", new RemoteError('internal', 'internal error'), ExitCode.Failure],
    ['an error without a code', new Error('bug'), ExitCode.Failure],
    ['something thrown that is not an error', 'oops', ExitCode.Failure],
  ])('%s', (_name, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('gives shells their 128 + signal number', () => {
    expect(ExitCode.Interrupted).toBe(128 + 2);
    expect(ExitCode.Terminated).toBe(128 + 15);
  });
});
