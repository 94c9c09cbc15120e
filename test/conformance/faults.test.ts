import { describe, expect, it } from 'vitest';
import { Outcome, runClientConformance, runServerConformance, type ConformanceReport, type DialerFunction, type ServerConformanceOptions } from '../../src/index.js';
import { readValue, type Node } from '../../src/conformance/msgpack-reader.js';
import * as mp from '../../src/conformance/msgpack-writer.js';
import { decodePayload, encodeFrame } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';
import { named } from './support/expectations.js';
import { eagerDialer } from './support/eager-dialer.js';
import { libraryDialer } from './support/library-dialer.js';
import { RewritingProxy, type Fault } from './support/rewriting-proxy.js';

// A good implementation with one deliberate fault fails exactly the case
// that names the rule it breaks, and no other: each fault run is compared
// with a run of the same implementation without the fault.

const use = useCleanup();

/** The cases a run did not pass (FAILED or NON-STRICT). */
const broken = (report: ConformanceReport): string[] => named(report, Outcome.Failed, Outcome.NonStrict);

/** The cases `faulty` breaks that `good` does not. */
const newlyBroken = (good: ConformanceReport, faulty: ConformanceReport): string[] => broken(faulty).filter((name) => !broken(good).includes(name));

/** `node` written back as MessagePack, in the smallest forms. */
function encodeNode(node: Node): Buffer {
  switch (node.kind) {
    case 'nil':
      return mp.nil();
    case 'bool':
      return mp.bool(node.value);
    case 'int':
      return mp.int(node.value);
    case 'float':
      return mp.float(node.value, node.type === 0xca);
    case 'str':
      return mp.str(node.bytes);
    case 'bin':
      return mp.bin(node.bytes);
    case 'array':
      return mp.array(node.items.map(encodeNode));
    case 'map':
      return mp.map(node.pairs.map(([k, v]) => [encodeNode(k), encodeNode(v)] as const));
    case 'ext':
      return mp.ext(node.type, node.data);
  }
}

describe('seeded server faults are caught by the case that names the rule', () => {
  /** A leader (through `fault`'s proxy), an honest follower and a follower that answers members itself. */
  async function servers() {
    const raft = new FakeRaft({ nonvoters: true });
    const leader = use(await serve({ preambleTimeoutMs: 400 }, raft), (c) => c.close());
    leader.server.serveConfiguration(raft);
    const following = (): FakeRaft => Object.assign(new FakeRaft(), { currentState: 'follower' as const, leaderAddress: leader.address });
    const honest = use(await serve({}, following()), (c) => c.close());
    honest.server.serveConfiguration(honest.raft);
    const liar = use(await serve({}, following()), (c) => c.close());
    // The fault: this follower's server answers members as if it led.
    liar.server.serveConfiguration({ state: () => 'leader', leader: () => '', configuration: () => [...raft.servers.values()] });
    return { leader: leader.address, honest: honest.address, liar: liar.address };
  }

  /** A run against a fresh set of servers, the leader behind `fault`'s proxy; `lyingFollower` points the kit at the follower that answers members. */
  async function run(fault: Fault = {}, lyingFollower = false): Promise<ConformanceReport> {
    const { leader, honest, liar } = await servers();
    const proxy = use(await RewritingProxy.start(leader, fault), (p) => p.close());
    const options: ServerConformanceOptions = { follower: lyingFollower ? liar : honest, preambleTimeoutMs: 400 };
    return runServerConformance(proxy.address, options);
  }

  // §2: the flags judged before the version (row 3 before row 2).
  const flagsFirst: Fault = { hello: (hello) => (hello[6] !== 0 ? Buffer.from([0x10, 0x00]) : undefined) };

  // §7, issue 11 point 1: a bad_request that quotes the whole of a long address (2,000 bytes and more).
  const addresses = new Map<number, string>();
  const quotesAddress: Fault = {
    request(payload) {
      const value = decodePayload(payload) as { rid?: number; type?: string; address?: unknown };
      if (value.type === 'join' && typeof value.address === 'string' && typeof value.rid === 'number') addresses.set(value.rid, value.address);
      return payload;
    },
    response(payload) {
      const value = decodePayload(payload) as { rid: number; code?: string; message?: string };
      const address = addresses.get(value.rid);
      if (value.code !== 'bad_request' || address === undefined || address.length < 2_000) return payload;
      return encodeFrame({ ...value, message: `invalid server address ${JSON.stringify(address)}` }).subarray(4);
    },
  };

  // §6: an extension type under an unknown key taken as a key to ignore (it must close).
  const skipsExtensions: Fault = {
    request(payload) {
      const read = readValue(payload);
      if (!('node' in read) || read.node.kind !== 'map') return payload;
      const pairs = read.node.pairs.filter(([, value]) => value.kind !== 'ext');
      return pairs.length === read.node.pairs.length ? payload : encodeNode({ kind: 'map', pairs });
    },
  };

  it('each fault breaks exactly its case', async () => {
    // Independent servers each, so the runs go side by side.
    const [good, liar, flags, quotes, extensions] = await Promise.all([run(), run({}, true), run(flagsFirst), run(quotesAddress), run(skipsExtensions)]);
    // Issue 11's example: a follower that answers members instead of redirecting.
    expect(newlyBroken(good, liar)).toEqual(['redirect.members']);
    expect(newlyBroken(good, flags)).toEqual(['hello.version-before-flags']);
    expect(newlyBroken(good, quotes)).toEqual(['message.bad-request-size']);
    expect(newlyBroken(good, extensions)).toEqual(['frame.extension-value']);
  }, 120_000);
});

describe('seeded dialer faults are caught by the case that names the rule', () => {
  /** The library's dialer, trying once more when its error says `says`. */
  const retriesAfter = (says: string): DialerFunction =>
    async function retrying(invocation, signal) {
      const first = await libraryDialer(invocation, signal);
      return first.exitCode !== 0 && first.stdout?.includes(says) ? libraryDialer(invocation, signal) : first;
    };
  const options = { timeoutMs: 1_500, graceMs: 3_000 };

  // A dialer that leaves its cluster name out of the hello (§2).
  const forgetsName: DialerFunction = (invocation, signal) => libraryDialer({ ...invocation, clusterName: '' }, signal);

  it('each fault breaks exactly its case', async () => {
    const [good, authFailed, unsupportedRole, noName] = await Promise.all([
      runClientConformance(libraryDialer, options),
      runClientConformance(retriesAfter('auth_failed'), options),
      runClientConformance(retriesAfter('UnsupportedRoleError'), options),
      runClientConformance(forgetsName, options),
    ]);
    expect(broken(good)).toEqual([]);
    // Issue 11's example: a dialer that retries after AuthFailed.
    expect(newlyBroken(good, authFailed)).toEqual(['dialer.auth-failed']);
    // §8: a dialer that retries after unsupported_role ("don't retry").
    expect(newlyBroken(good, unsupportedRole)).toEqual(['dialer.unsupported-role']);
    expect(newlyBroken(good, noName)).toEqual(['dialer.hello']);
  }, 120_000);

  it('a dialer that sends its request right behind its auth answer breaks the case of §1 that forbids it', async () => {
    // The cases where a secret is given and the kit plays a right server.
    const only = ['dialer.auth-answer', 'dialer.auth-answer-waits'];
    const [good, eager] = await Promise.all([runClientConformance(libraryDialer, { ...options, only }), runClientConformance(eagerDialer, { ...options, only })]);
    expect(broken(good)).toEqual([]);
    expect(good.results.map((r) => r.outcome)).toEqual([Outcome.Ok, Outcome.Ok]);
    expect(newlyBroken(good, eager)).toEqual(['dialer.auth-answer-waits']);
  }, 60_000);
});
