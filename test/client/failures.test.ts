import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  DiagnosticsChannel,
  DifferentLeaderError,
  HandshakeRefusedError,
  MembershipServer,
  MembershipTimeoutError,
  ShuttingDownError,
  TcpChanger,
  UnknownLeaderError,
} from '../../src/index.js';
import { CallDeadline } from '../../src/client/call-deadline.js';
import { resolveClientOptions } from '../../src/client/client-options.js';
import { ping } from '../../src/client/ping.js';
import { useCleanup } from '../support/cleanup.js';
import { silentServer } from '../support/dead-ends.js';
import { FakeRaft } from '../support/fake-raft.js';
import { serve } from '../support/membership-fixture.js';

// Failures that say what happened (issue 10 §2): a timeout names the server
// and the stage the call was in, and its cause is the last real failure,
// never a redirect that worked.

const use = useCleanup();
const SELF = '127.0.0.1:7999';

function changer(): TcpChanger {
  return use(new TcpChanger({ address: SELF, minBackoffMs: 5, maxBackoffMs: 40 }), (c) => c.close());
}

async function failure(call: Promise<unknown>): Promise<MembershipTimeoutError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MembershipTimeoutError);
  return err as MembershipTimeoutError;
}

describe('timeouts that say where the call was', () => {
  it('after a redirect to a leader that never answers: the leader and the wait, and no redirect for a cause', async () => {
    // The "leader" takes requests and never answers them: nobody reads server.requests.
    const silentLeader = use(new MembershipServer(), (s) => s.close());
    const leaderAddress = await silentLeader.listen(0, '127.0.0.1');
    const follower = use(await serve({}, Object.assign(new FakeRaft(), { currentState: 'follower' as const, leaderAddress })), (c) => c.close());
    const err = await failure(changer().join('n4', follower.address, 400));
    expect(err.message).toBe(`join of n4 did not complete within 400 ms: the request went to ${leaderAddress} (the leader, as ${follower.address} said), and its answer did not come`);
    expect(err).toMatchObject({ stage: 'waiting', target: leaderAddress });
    expect(err.cause).toBeUndefined();
    expect(err.cause).not.toBeInstanceOf(DifferentLeaderError);
  });

  it('for a black-holed server: connected, in the preamble', async () => {
    const hole = await silentServer(use);
    const err = await failure(changer().leave('n1', hole.address, 300));
    expect(err.message).toBe(`leave of n1 did not complete within 300 ms: connected to ${hole.address}, but the preamble (TLS, cluster name, secret) did not finish`);
    expect(err).toMatchObject({ stage: 'preamble', target: hole.address });
    const dialErr = await failure(changer().dial(hole.address, 200));
    expect(dialErr).toMatchObject({ stage: 'preamble', target: hole.address });
    expect(dialErr.message).toMatch(/^dial of 127\.0\.0\.1:\d+ did not complete within 200 ms: connected to/);
  });

  it('with several seeds that all fail: each attempt timeout names its server, the last is the cause', async () => {
    const [a, b] = [await silentServer(use), await silentServer(use)];
    const err = await failure(changer().members([a.address, b.address], 1_000));
    expect(err.cause).toBeInstanceOf(MembershipTimeoutError);
    expect((err.cause as MembershipTimeoutError).message).toMatch(/^no answer from 127\.0\.0\.1:\d+ within its share of the deadline \(\d+ ms, preamble\); trying the next server$/);
  });

  it('for a ping (as the CLI runs it): the server and the stage too', async () => {
    const hole = await silentServer(use);
    const call = new CallDeadline(200, undefined);
    const err = await ping(hole.address, resolveClientOptions(), call).catch((e: unknown) => call.translate(e, `ping of ${hole.address}`));
    call.release();
    expect(err).toBeInstanceOf(MembershipTimeoutError);
    expect(err).toMatchObject({ stage: 'preamble', target: hole.address });
  });

  it('names each stage in words, the dial included', async () => {
    const cases = [
      ['dialing', false, 'still dialing 10.0.0.9:7000: no TCP connection'],
      ['dialing', true, 'connected to 10.0.0.9:7000, but the preamble (TLS, cluster name, secret) did not finish'],
      ['backing-off', false, 'backing off before the next try (last tried 10.0.0.9:7000)'],
    ] as const;
    await Promise.all(
      cases.map(async ([stage, connected, words]) => {
        const call = new CallDeadline(100, undefined);
        call.stage = stage;
        call.target = '10.0.0.9:7000';
        call.dial = { connected };
        await new Promise((resolve) => setTimeout(resolve, 150));
        const err = call.translate(call.reason, 'join of n1') as MembershipTimeoutError;
        call.release();
        expect(err.message).toBe(`join of n1 did not complete within 100 ms: ${words}`);
        expect(err.stage).toBe(stage === 'dialing' && connected ? 'preamble' : stage);
      }),
    );
  });
});

describe('the telling cause', () => {
  it('keeps the server\'s shutting_down when the retries that follow are refused, and names the refusal', async () => {
    const server = new MembershipServer();
    const address = await server.listen(0, '127.0.0.1');
    // The server holds the join, not begun (nothing consumes its requests): closing, it answers shutting_down.
    const received = new Promise<void>((resolve) => {
      const onRequest = (): void => {
        unsubscribe(DiagnosticsChannel.ServerRequest, onRequest);
        resolve();
      };
      subscribe(DiagnosticsChannel.ServerRequest, onRequest);
    });
    const joining = changer().join('n1', address, 1_500);
    await received;
    await server.close();
    const err = await failure(joining);
    // The answer to the join; or, had a retry met the server still closing, its refusal of the preamble.
    const telling = err.cause instanceof ShuttingDownError || (err.cause instanceof HandshakeRefusedError && err.cause.reason === 'shutting_down');
    expect(telling).toBe(true);
    expect(err.message).toMatch(/; last failure: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('while no leader is known: the server\'s unknown_leader', async () => {
    const cluster = use(await serve(), (c) => c.close());
    cluster.raft.currentState = 'candidate';
    const err = await failure(changer().join('n4', cluster.address, 300));
    expect(err.cause).toBeInstanceOf(UnknownLeaderError);
    expect(['waiting', 'backing-off']).toContain(err.stage);
    expect(err.target).toBe(cluster.address);
  });
});
