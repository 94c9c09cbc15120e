import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ChangeRequestKind,
  InvalidAddressError,
  InvalidOptionError,
  MembershipError,
  MembershipServer,
  TcpChanger,
  formatAddress,
  kindName,
  newJoinRequest,
  newLeaveRequest,
  parseAddress,
} from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';

// What a plain-JavaScript caller gets wrong, and what each public entry
// must say about it: an InvalidOptionError naming the argument, what it
// expected and what it got (with its type); never an internal TypeError.

const use = useCleanup();
const SELF = '127.0.0.1:7999';
/** Untyped, as plain JavaScript calls it. */
type Loose = (...args: unknown[]) => Promise<unknown>;

function changer(): TcpChanger {
  return use(new TcpChanger({ address: SELF }), (c) => c.close());
}

/** The error `run` throws or rejects with. */
async function errorOf(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** Checks the error a mistake gets: coded, not a TypeError, with the words that explain it. */
async function expectRefused(run: () => unknown, ...words: RegExp[]): Promise<void> {
  const err = await errorOf(run);
  expect(err).not.toBeInstanceOf(TypeError);
  expect(err).toBeInstanceOf(MembershipError);
  expect((err as MembershipError).code).toMatch(/^ERR_INVALID_(OPTION|ADDRESS)$/);
  for (const word of words) expect(err.message).toMatch(word);
}

describe('call arguments of TcpChanger', () => {
  it('names a missing or wrongly shaped timeout, with what it got', async () => {
    const join = changer().join.bind(changer()) as Loose;
    await expectRefused(() => join('n1', SELF), /^timeout must be a number of milliseconds, or an object \{ timeoutMs, signal, role \}, got undefined \(every call needs a deadline\)$/);
    await expectRefused(() => join('n1', SELF, '5s'), /^timeout must be .*, got "5s" \(string\)$/);
    await expectRefused(() => join('n1', SELF, null), /got null/);
    await expectRefused(() => join('n1', SELF, { timeout: 5_000 }), /unknown option "timeout" in the options of join: did you mean "timeoutMs"\?/);
    await expectRefused(() => join('n1', SELF, { timout: 5 }), /did you mean "timeoutMs"\?/);
    await expectRefused(() => join('n1', SELF, { timeoutMs: '5000' }), /^timeoutMs must be a number of milliseconds from 100 to 86400000, got "5000" \(string\)$/);
    await expectRefused(() => join('n1', SELF, { timeoutMs: 1_000, signal: 'stop' }), /^signal must be an AbortSignal, got "stop" \(string\)$/);
    await expectRefused(() => join('n1', SELF, { timeoutMs: 1_000, role: 'learner' }), /^role must be "voter" or "nonvoter", got "learner" \(string\)$/);
    const members = changer().members.bind(changer()) as Loose;
    await expectRefused(() => members(SELF), /^timeout must be a number of milliseconds, or an object \{ timeoutMs, signal \}, got undefined/);
    await expectRefused(() => members(SELF, { timeoutMs: 1_000, role: 'voter' }), /unknown option "role"/);
    const dial = changer().dial.bind(changer()) as Loose;
    await expectRefused(() => dial(SELF, [1_000]), /got \[ 1000 \] \(array\)/);
  });

  it('takes seconds written for milliseconds for what they are, and says the figure meant', async () => {
    const client = changer();
    await expectRefused(() => client.join('n1', SELF, 5), /^timeout must be .* from 100 .*, got 5 \(number\): timeouts are in milliseconds \(for 5 seconds, write 5000\)$/);
    await expectRefused(() => client.leave('n1', SELF, { timeoutMs: 30 }), /for 30 seconds, write 30000\)$/);
    await expectRefused(() => client.members(SELF, 0.5), /for 0\.5 seconds, write 500\)$/);
    await expectRefused(() => client.dial(SELF, 10), /for 10 seconds, write 10000\)$/);
    await expectRefused(() => client.join('n1', SELF, 0), /got 0 \(number\)$/);
    await expectRefused(() => client.join('n1', SELF, Number.POSITIVE_INFINITY), /got Infinity/);
    await expectRefused(() => client.join('n1', SELF, 2 * 86_400_000), /to 86400000/);
  });

  it('names a target that is not an address, or a list of them', async () => {
    const join = changer().join.bind(changer()) as Loose;
    await expectRefused(() => join('n1', 7000, 1_000), /^target must be a "host:port" string, or a non-empty array of them, got 7000 \(number\)$/);
    await expectRefused(() => join('n1', [SELF, 7001], 1_000), /got \[ '127\.0\.0\.1:7999', 7001 \] \(array\)/);
    await expectRefused(() => join('n1', undefined, 1_000), /^target must be .*, got undefined$/);
    await expectRefused(() => join('n1', 'http://10.0.0.1:7000', 1_000), /without a scheme: drop "http:\/\/"/);
    await expectRefused(() => join('n1', ' 10.0.0.1:7000', 1_000), /spaces/);
  });

  it('names an id that is not a non-empty string', async () => {
    const join = changer().join.bind(changer()) as Loose;
    await expectRefused(() => join(4, SELF, 1_000), /^id must be a non-empty string of at most 256 UTF-8 bytes, got 4 \(number\)$/);
    await expectRefused(() => join('', SELF, 1_000), /got "" \(string\)/);
    await expectRefused(() => (changer().leave as Loose).call(changer(), 'é'.repeat(200), SELF, 1_000), /at most 256 UTF-8 bytes/);
  });
});

describe('options of TcpChanger and MembershipServer', () => {
  it('refuses an unknown key and suggests the known one, for both classes', async () => {
    await expectRefused(() => new TcpChanger({ timout: 5 } as never), /unknown option "timout" in TcpChanger options/);
    await expectRefused(() => new TcpChanger({ maxRedirect: 3 } as never), /did you mean "maxRedirects"\?/);
    await expectRefused(() => new TcpChanger({ idleTimeout: 3_000 } as never), /did you mean "idleTimeoutMs"\?/);
    await expectRefused(() => new MembershipServer({ requestTimeout: 5_000 } as never), /unknown option "requestTimeout" in MembershipServer options: did you mean "requestTimeoutMs"\?/);
    await expectRefused(() => new MembershipServer({ clustername: 'x' } as never), /did you mean "clusterName"\?/);
    // Nothing near enough: no guess, but the known keys are listed.
    const err = await errorOf(() => new MembershipServer({ frobnicate: true } as never));
    expect(err.message).not.toMatch(/did you mean/);
    expect(err.message).toMatch(/known: clusterName, secret, tls, .*requestTimeoutMs.*logger/);
  });

  it('names the option, what it expects and what it got, with its type', async () => {
    await expectRefused(() => new MembershipServer({ requestTimeoutMs: '5000' } as never), /^requestTimeoutMs must be an integer number of milliseconds from 100 to 86400000, got "5000" \(string\)$/);
    await expectRefused(() => new MembershipServer({ preambleTimeoutMs: 5 }), /for 5 seconds, write 5000\)$/);
    await expectRefused(() => new MembershipServer({ maxConnections: '10' } as never), /^maxConnections must be an integer from 1 to 1000000, got "10" \(string\)$/);
    await expectRefused(() => new MembershipServer({ clusterName: 7 } as never), /^clusterName must be a string of at most 255 UTF-8 bytes, with no lone surrogate, got 7 \(number\)$/);
    // 'prod\uD800' would go out as 'prod\uFFFD', and be refused as a wrong cluster by a server given the same string.
    await expectRefused(() => new MembershipServer({ clusterName: 'prod\uD800' }), /^clusterName must be a string of at most 255 UTF-8 bytes, with no lone surrogate/);
    await expectRefused(() => new TcpChanger({ clusterName: 'prod\uDC00' }), /with no lone surrogate/);
    expect(new TcpChanger({ clusterName: 'prod \u{1F680}' })).toBeInstanceOf(TcpChanger);
    await expectRefused(() => new MembershipServer({ secret: 1234 } as never), /^secret must be a string or a Uint8Array, got 1234 \(number\)$/);
    await expectRefused(() => new MembershipServer({ tls: true } as never), /^tls must be an object of node:tls options, got true \(boolean\)$/);
    await expectRefused(() => new MembershipServer({ logger: console.log } as never), /^logger must be an object/);
    await expectRefused(() => new MembershipServer({ logger: { warn: 'loud' } } as never), /^logger\.warn must be a function, got "loud" \(string\)$/);
    await expectRefused(() => new MembershipServer('prod' as never), /^MembershipServer options must be an object, got "prod" \(string\)$/);
    await expectRefused(() => new TcpChanger({ idleTimeoutMs: 30 }), /for 30 seconds, write 30000\)$/);
    await expectRefused(() => new TcpChanger({ address: 7000 } as never), /got 7000 \(number\)/);
    await expectRefused(() => new TcpChanger({ address: 'http://10.0.0.4:7000' }), /^address: invalid server address .*without a scheme/);
    await expectRefused(() => new TcpChanger(5 as never), /^TcpChanger options must be an object, got 5 \(number\)$/);
  });

  it('refuses tls options node:tls cannot use when the object is made, not on every connection', async () => {
    const key = readFileSync(fileURLToPath(new URL('../fixtures/tls/server.key', import.meta.url)));
    const clientCert = readFileSync(fileURLToPath(new URL('../fixtures/tls/client.crt', import.meta.url)));
    await expectRefused(() => new MembershipServer({ tls: { key: 'server.key', cert: 'server.crt' } }), /^tls: node:tls cannot use these options: .*no start line/);
    await expectRefused(() => new MembershipServer({ tls: { key, cert: clientCert } }), /^tls: .*key values mismatch/);
    await expectRefused(() => new TcpChanger({ tls: { key: 'client.key', cert: 'client.crt' } }), /^tls: node:tls cannot use these options/);
    await expectRefused(() => new TcpChanger({ tls: { minVersion: 'TLSv9' as never } }), /^tls: .*TLSv9/);
    expect((await errorOf(() => new TcpChanger({ tls: { cert: 'x' } }))).cause).toMatchObject({ code: expect.stringMatching(/^ERR_OSSL_/) });
  });

  it('reads response frames of at least a members page, 65536 bytes', async () => {
    await expectRefused(() => new TcpChanger({ maxFrameSize: 1024 }), /^maxFrameSize must be an integer from 65536 to/);
    expect(changer().options.maxFrameSize).toBe(65_536);
  });

  it('still takes null or nothing for options', () => {
    expect(use(new TcpChanger(null as never), (c) => c.close()).options.maxRedirects).toBe(8);
    expect(new MembershipServer(undefined).options.requestTimeoutMs).toBe(10_000);
  });
});

describe('the membership core and addresses', () => {
  it('checks the arguments of newJoinRequest and newLeaveRequest', async () => {
    const join = newJoinRequest as (...args: unknown[]) => unknown;
    await expectRefused(() => join(undefined, SELF), /^id must be a non-empty string, got undefined$/);
    await expectRefused(() => join('n1', 7000), /^address must be a "host:port" string, got 7000 \(number\)$/);
    await expectRefused(() => join('n1', 'nope'), /invalid server address "nope"/);
    await expectRefused(() => join('n1', SELF, { role: 'observer' }), /^role must be "voter" or "nonvoter", got "observer" \(string\)$/);
    await expectRefused(() => join('n1', SELF, { rol: 'voter' }), /did you mean "role"\?/);
    await expectRefused(() => join('n1', SELF, 'voter'), /^the options of newJoinRequest must be an object, got "voter" \(string\)$/);
    await expectRefused(() => (newLeaveRequest as (id: unknown) => unknown)(42), /^id must be a non-empty string, got 42 \(number\)$/);
    expect(newJoinRequest('n1', SELF, { role: 'nonvoter' }).role).toBe('nonvoter');
  });

  it('checks what ChangeRequest.done records, and what serveConfiguration serves', async () => {
    const request = newLeaveRequest('n1');
    const done = request.done.bind(request) as (...args: unknown[]) => void;
    await expectRefused(() => done('raft said no'), /^err must be an Error, or null for success, got "raft said no" \(string\)$/);
    await expectRefused(() => done(null, -1), /^index must be a log index .*, got -1 \(number\)$/);
    await expectRefused(() => done(null, '7'), /got "7" \(string\)$/);
    expect(request.isDone).toBe(false);
    done(null, 7);
    expect(request.index).toBe(7);
    const server = new MembershipServer();
    const serve = server.serveConfiguration.bind(server) as (raft: unknown) => void;
    await expectRefused(() => serve({ configuration: () => [] }), /^raft\.state must be a function, got undefined$/);
    await expectRefused(() => serve({ state: () => 'leader', leader: () => '', configuration: [] }), /^raft\.configuration must be a function, or absent, got \[\] \(array\)$/);
    await expectRefused(() => serve('raft'), /^raft must be an object .*, got "raft" \(string\)$/);
    serve(undefined);
  });

  it('checks the arguments of ChangeRequest.error, which takes 0 to mean "done yet?"', async () => {
    const request = newLeaveRequest('n1');
    const error = request.error.bind(request) as Loose;
    await expectRefused(() => error(), /^timeoutMs must be a number of milliseconds from 0 to 86400000, got undefined$/);
    await expectRefused(() => error('5s'), /got "5s" \(string\)/);
    await expectRefused(() => error(100, { aborted: false }), /^signal must be an AbortSignal/);
    await expect(request.error(0)).resolves.toMatchObject({ code: 'ERR_MEMBERSHIP_TIMEOUT' });
  });

  it('parseAddress says what is wrong with what it got', async () => {
    await expectRefused(() => parseAddress(7000 as never), /^address must be a "host:port" string, got 7000 \(number\)$/);
    for (const [address, reason] of [
      ['http://10.0.0.1:7000', /without a scheme: drop "http:\/\/"/],
      ['tcp://[::1]:7000', /drop "tcp:\/\/"/],
      ['10.0.0.1:7000 ', /spaces around it/],
      ['10.0.0.1', /expected host:port/],
    ] as const) {
      const err = await errorOf(() => parseAddress(address));
      expect(err).toBeInstanceOf(InvalidAddressError);
      expect(err.message).toMatch(reason);
    }
  });

  it('formatAddress checks its host and port', async () => {
    await expectRefused(() => formatAddress(undefined as never, 7000), /^host must be a non-empty string, got undefined$/);
    await expectRefused(() => formatAddress('10.0.0.1', '7000' as never), /^port must be an integer from 1 to 65535, got "7000" \(string\)$/);
    await expectRefused(() => formatAddress('10.0.0.1', 70_000), /got 70000 \(number\)$/);
    expect(formatAddress('::1', 7000)).toBe('[::1]:7000');
  });

  it('kindName throws a coded error for a kind it does not know', async () => {
    await expectRefused(() => kindName(7 as ChangeRequestKind), /^kind must be ChangeRequestKind\.Join \(0\) or ChangeRequestKind\.Leave \(1\), got 7 \(number\)$/);
    expect(await errorOf(() => kindName(9 as ChangeRequestKind))).toBeInstanceOf(InvalidOptionError);
  });
});
