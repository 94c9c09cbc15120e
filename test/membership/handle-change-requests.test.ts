import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ChangeRejectedError,
  DifferentLeaderError,
  InvalidOptionError,
  MembershipTimeoutError,
  NotLeaderError,
  UnknownLeaderError,
  UnsupportedRoleError,
  handleChangeRequests,
  newJoinRequest,
  newLeaveRequest,
  type ChangeRequest,
  type Logger,
} from '../../src/index.js';
import { FakeRaft, RequestQueue } from '../support/fake-raft.js';

async function handleAll(raft: FakeRaft, requests: ChangeRequest[], timeoutMs?: number): Promise<(Error | null)[]> {
  async function* source(): AsyncIterable<ChangeRequest> {
    yield* requests;
  }
  await handleChangeRequests(raft, source(), timeoutMs === undefined ? {} : { timeoutMs });
  return Promise.all(requests.map((r) => r.error(1_000)));
}

describe('handleChangeRequests', () => {
  it('fails with UnknownLeaderError when no leader is known', async () => {
    const raft = new FakeRaft();
    raft.currentState = 'candidate';
    const [err] = await handleAll(raft, [newJoinRequest('n2', '127.0.0.1:7002')]);
    expect(err).toBeInstanceOf(UnknownLeaderError);
    expect(raft.calls).toEqual([]);
  });

  it('fails with DifferentLeaderError naming the leader on a follower', async () => {
    const raft = new FakeRaft();
    raft.currentState = 'follower';
    raft.leaderAddress = '127.0.0.1:7001';
    const [err] = await handleAll(raft, [newLeaveRequest('n2')]);
    expect(err).toBeInstanceOf(DifferentLeaderError);
    expect((err as DifferentLeaderError).leader).toBe('127.0.0.1:7001');
    expect(err?.message).toBe('node is not leader, current leader at: 127.0.0.1:7001');
  });

  it('adds a voter on the leader with prevIndex 0 and the configured timeout', async () => {
    const raft = new FakeRaft();
    const join = newJoinRequest('n2', '127.0.0.1:7002');
    expect(await handleAll(raft, [join], 2_500)).toEqual([null]);
    expect(raft.calls).toEqual(['addVoter n2 127.0.0.1:7002 0 2500']);
    expect(raft.servers.get('n2')).toEqual({ id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
    expect(join.index).toBe(2);
  });

  it('passes on only a log index from raft: anything else a change resolves to is no index', async () => {
    const raft = new FakeRaft();
    const results: unknown[] = [-1, 1.5, 'seven', Number.NaN, 9];
    raft.removeServer = () => Promise.resolve(results.shift() as number);
    const leaves = ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => newLeaveRequest(id));
    expect(await handleAll(raft, leaves)).toEqual([null, null, null, null, null]);
    expect(leaves.map((leave) => leave.index)).toEqual([undefined, undefined, undefined, undefined, 9]);
  });

  it('treats joining a known peer as a no-op success', async () => {
    const raft = new FakeRaft();
    raft.servers.set('n2', { id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
    const join = newJoinRequest('n2', '127.0.0.1:7002');
    expect(await handleAll(raft, [join])).toEqual([null]);
    expect(raft.index).toBe(1);
    expect(raft.servers.size).toBe(1);
  });

  it('removes a server on leave', async () => {
    const raft = new FakeRaft();
    raft.servers.set('n2', { id: 'n2', address: '127.0.0.1:7002', role: 'voter' });
    expect(await handleAll(raft, [newLeaveRequest('n2')])).toEqual([null]);
    expect(raft.calls).toEqual(['removeServer n2 0 10000']);
    expect(raft.servers.has('n2')).toBe(false);
  });

  it('turns a NotLeaderError from raft into a redirect or an unknown leader', async () => {
    const raft = new FakeRaft();
    raft.failNext = new NotLeaderError();
    raft.leaderAddress = '127.0.0.1:7003';
    const [redirected] = await handleAll(raft, [newJoinRequest('n2', '127.0.0.1:7002')]);
    expect(redirected).toBeInstanceOf(DifferentLeaderError);
    expect((redirected as DifferentLeaderError).cause).toBeInstanceOf(NotLeaderError);
    raft.failNext = new NotLeaderError();
    raft.leaderAddress = '';
    const [unknown] = await handleAll(raft, [newJoinRequest('n2', '127.0.0.1:7002')]);
    expect(unknown).toBeInstanceOf(UnknownLeaderError);
  });

  it('passes other errors through and goes on with the next request', async () => {
    const raft = new FakeRaft();
    const rejected = new ChangeRejectedError('address taken');
    raft.failNext = rejected;
    const errors = await handleAll(raft, [newJoinRequest('n2', '127.0.0.1:7002'), newJoinRequest('n3', '127.0.0.1:7003')]);
    expect(errors).toEqual([rejected, null]);
    expect([...raft.servers.keys()]).toEqual(['n3']);
  });

  it('wraps a non-Error throw', async () => {
    const raft = new FakeRaft();
    raft.removeServer = () => Promise.reject('plain string');
    const [err] = await handleAll(raft, [newLeaveRequest('n2')]);
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toBe('plain string');
  });

  it('sends a non-voter join to addNonvoter, and refuses it when raft has none', async () => {
    const plain = new FakeRaft();
    const [refused] = await handleAll(plain, [newJoinRequest('n5', '127.0.0.1:7005', { role: 'nonvoter' })]);
    expect(refused).toBeInstanceOf(UnsupportedRoleError);
    expect(plain.servers.size).toBe(0);

    const able = new FakeRaft({ nonvoters: true });
    expect(await handleAll(able, [newJoinRequest('n5', '127.0.0.1:7005', { role: 'nonvoter' })])).toEqual([null]);
    expect(able.servers.get('n5')?.role).toBe('nonvoter');
    expect(able.calls).toEqual(['addNonvoter n5 127.0.0.1:7005 0 10000']);
  });

  it('handles requests in order, one at a time, and returns when the stream ends', async () => {
    const raft = new FakeRaft();
    let open!: () => void;
    raft.gate = new Promise((resolve) => (open = resolve));
    const queue = new RequestQueue<ChangeRequest>();
    const loop = handleChangeRequests(raft, queue);
    const a = newJoinRequest('a', '127.0.0.1:7101');
    const b = newJoinRequest('b', '127.0.0.1:7102');
    queue.push(a);
    queue.push(b);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(raft.calls).toEqual(['addVoter a 127.0.0.1:7101 0 10000']);
    open();
    queue.end();
    await loop;
    expect(raft.calls).toHaveLength(2);
    expect([a.index, b.index]).toEqual([2, 3]);
  });

  it('skips a request that someone else already finished', async () => {
    const raft = new FakeRaft();
    const join = newJoinRequest('n2', '127.0.0.1:7002');
    const timedOut = new Error('answered elsewhere');
    join.done(timedOut);
    expect(await handleAll(raft, [join])).toEqual([timedOut]);
  });

  it('validates its timeout option', async () => {
    await expect(handleChangeRequests(new FakeRaft(), new RequestQueue(), { timeoutMs: 0 })).rejects.toThrow(InvalidOptionError);
  });

  it('answers timeout for a raft call that never settles, and goes on with the next request', async () => {
    const raft = new FakeRaft();
    const addVoter = raft.addVoter.bind(raft);
    raft.addVoter = (id, ...rest) => (id === 'stuck' ? new Promise<number>(() => undefined) : addVoter(id, ...rest));
    const warnings: unknown[] = [];
    const logger: Logger = { warn: (fields, message) => warnings.push({ message, fields }) };
    const queue = new RequestQueue<ChangeRequest>();
    const loop = handleChangeRequests(raft, queue, { timeoutMs: 100, logger });
    const stuck = newJoinRequest('stuck', '127.0.0.1:7001');
    const next = newJoinRequest('n2', '127.0.0.1:7002');
    queue.push(stuck);
    queue.push(next);
    const err = await stuck.error(5_000);
    expect(err).toBeInstanceOf(MembershipTimeoutError);
    expect(err?.message).toBe('raft did not finish the join of stuck within 100 ms; its outcome is unknown');
    expect(await next.error(5_000)).toBeNull();
    expect(warnings).toEqual([{ message: 'raft did not finish a membership change in time; going on with the next', fields: { id: 'stuck', kind: 'join', timeoutMs: 100 } }]);
    queue.end();
    await loop;
  });

  it('returns promptly when its signal aborts, even while raft hangs, answering the change in flight timeout', async () => {
    const raft = new FakeRaft();
    raft.addVoter = () => new Promise<number>(() => undefined);
    const queue = new RequestQueue<ChangeRequest>();
    const stop = new AbortController();
    const loop = handleChangeRequests(raft, queue, { signal: stop.signal });
    const hanging = newJoinRequest('n2', '127.0.0.1:7002');
    const later = newJoinRequest('n3', '127.0.0.1:7003');
    queue.push(hanging);
    queue.push(later);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    await loop;
    expect(await hanging.error(0)).toBeInstanceOf(MembershipTimeoutError);
    expect(hanging.isDone).toBe(true);
    expect(later.isDone).toBe(false);
  });

  it('does nothing with an aborted signal', async () => {
    const raft = new FakeRaft();
    const queue = new RequestQueue<ChangeRequest>();
    queue.push(newLeaveRequest('n2'));
    await handleChangeRequests(raft, queue, { signal: AbortSignal.abort() });
    expect(raft.calls).toEqual([]);
  });

  it('reports to its logger an error raft throws that is not the library\'s, and a refusal only at debug', async () => {
    const raft = new FakeRaft();
    const seen: string[] = [];
    const logger: Logger = { error: (fields, message) => seen.push(`error ${message} ${JSON.stringify(fields)}`), debug: (_fields, message) => seen.push(`debug ${message}`) };
    raft.failNext = new Error('disk full');
    async function* two(): AsyncIterable<ChangeRequest> {
      yield newJoinRequest('n2', '127.0.0.1:7002');
      raft.failNext = new ChangeRejectedError('address taken');
      yield newJoinRequest('n3', '127.0.0.1:7002');
    }
    await handleChangeRequests(raft, two(), { logger });
    expect(seen).toEqual(['error raft failed a membership change {"id":"n2","kind":"join","error":"disk full"}', 'debug membership change refused']);
  });

  it('shows a raft failure under NODE_DEBUG=raft-membership without a logger option', () => {
    const fixture = fileURLToPath(new URL('./fixtures/throwing-raft.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_DEBUG: 'raft-membership' } });
    expect(run.stdout).toBe('raft exploded\n');
    expect(run.stderr).toMatch(/RAFT-MEMBERSHIP \d+: error raft failed a membership change .*id: 'n2'.*error: 'raft exploded'/);
    const quiet = spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_DEBUG: '' } });
    expect(quiet.stderr).toBe('');
  });

  it('checks its arguments, naming what is wrong', async () => {
    const queue = new RequestQueue<ChangeRequest>();
    await expect(handleChangeRequests({ state: () => 'leader' } as unknown as FakeRaft, queue)).rejects.toThrow(/raft.leader must be a function, got undefined/);
    await expect(handleChangeRequests(new FakeRaft(), [] as unknown as RequestQueue<ChangeRequest>)).rejects.toThrow(/requests must be an async iterable/);
    await expect(handleChangeRequests(new FakeRaft(), queue, { timeout: 5_000 } as never)).rejects.toThrow(/unknown option "timeout".*did you mean "timeoutMs"/);
    await expect(handleChangeRequests(new FakeRaft(), queue, { timeoutMs: 5 })).rejects.toThrow(/timeouts are in milliseconds \(for 5 seconds, write 5000\)/);
  });

  it('rejects when its requests throw, and validates its signal option', async () => {
    async function* broken(): AsyncIterable<ChangeRequest> {
      yield newLeaveRequest('n2');
      throw new Error('source broke');
    }
    await expect(handleChangeRequests(new FakeRaft(), broken())).rejects.toThrow('source broke');
    await expect(handleChangeRequests(new FakeRaft(), new RequestQueue(), { signal: 'stop' as unknown as AbortSignal })).rejects.toThrow(InvalidOptionError);
  });
});
