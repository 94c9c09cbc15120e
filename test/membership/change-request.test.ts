import { describe, expect, it } from 'vitest';
import {
  AbortError,
  ChangeRequestKind,
  InvalidOptionError,
  MembershipTimeoutError,
  RequestAlreadyDoneError,
  kindName,
  newJoinRequest,
  newLeaveRequest,
} from '../../src/index.js';

describe('ChangeRequestKind', () => {
  it('keeps the Go values and names', () => {
    expect(ChangeRequestKind.Join).toBe(0);
    expect(ChangeRequestKind.Leave).toBe(1);
    expect(kindName(ChangeRequestKind.Join)).toBe('join');
    expect(kindName(ChangeRequestKind.Leave)).toBe('leave');
    expect(() => kindName(7 as ChangeRequestKind)).toThrow(InvalidOptionError);
  });
});

describe('ChangeRequest', () => {
  it('describes a join', () => {
    const r = newJoinRequest('n2', '127.0.0.1:7002');
    expect([r.id, r.address, r.kind, r.role]).toEqual(['n2', '127.0.0.1:7002', ChangeRequestKind.Join, 'voter']);
    expect(newJoinRequest('n3', '127.0.0.1:7003', { role: 'nonvoter' }).role).toBe('nonvoter');
  });

  it('describes a leave with an empty address', () => {
    const r = newLeaveRequest('n2');
    expect([r.id, r.address, r.kind]).toEqual(['n2', '', ChangeRequestKind.Leave]);
  });

  it('resolves error() with null once done without error, and keeps the index', async () => {
    const r = newJoinRequest('n2', '127.0.0.1:7002');
    const waiting = r.error(5_000);
    r.done(null, 42);
    await expect(waiting).resolves.toBeNull();
    expect(r.index).toBe(42);
    expect(r.isDone).toBe(true);
  });

  it('resolves error() with the recorded error', async () => {
    const r = newLeaveRequest('n2');
    const boom = new Error('boom');
    r.done(boom);
    await expect(r.error(10)).resolves.toBe(boom);
    expect(r.index).toBeUndefined();
  });

  it('times out with MembershipTimeoutError and stays pending for a later wait', async () => {
    const r = newJoinRequest('n2', '127.0.0.1:7002');
    const first = await r.error(5);
    expect(first).toBeInstanceOf(MembershipTimeoutError);
    expect(first?.message).toMatch(/join of n2 not done within 5 ms/);
    expect(r.isDone).toBe(false);
    const second = r.error(5_000);
    r.done();
    await expect(second).resolves.toBeNull();
  });

  it('throws on a second done() and keeps the first outcome', async () => {
    const r = newJoinRequest('n2', '127.0.0.1:7002');
    r.done();
    expect(() => r.done(new Error('late'))).toThrow(RequestAlreadyDoneError);
    await expect(r.error(0)).resolves.toBeNull();
  });

  it('wakes every waiter', async () => {
    const r = newLeaveRequest('n4');
    const waits = [r.error(5_000), r.error(5_000), r.error(5_000)];
    const err = new Error('x');
    r.done(err);
    await expect(Promise.all(waits)).resolves.toEqual([err, err, err]);
  });

  it('rejects error() on abort with an AbortError whose cause is the reason, as Node core does, and stays pending', async () => {
    const r = newLeaveRequest('n4');
    const controller = new AbortController();
    const waiting = r.error(5_000, controller.signal);
    const stop = new Error('stop');
    controller.abort(stop);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: stop, message: 'waiting for the leave of n4 was aborted' });
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    const already = new Error('already');
    await expect(r.error(1, AbortSignal.abort(already))).rejects.toMatchObject({ code: 'ABORT_ERR', cause: already });
    // The request itself is not ended by a waiter giving up.
    expect(r.isDone).toBe(false);
    r.done(null, 7);
    await expect(r.error(0)).resolves.toBeNull();
  });

  it('refuses a negative or NaN timeout', async () => {
    const r = newLeaveRequest('n4');
    await expect(r.error(-1)).rejects.toThrow(InvalidOptionError);
    await expect(r.error(Number.NaN)).rejects.toThrow(InvalidOptionError);
  });
});
