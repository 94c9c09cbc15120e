import type { ServerAddress } from '../../membership/types.js';
import * as mp from '../msgpack-writer.js';
import { describeResponse, type CheckedResponse } from '../response-check.js';
import { membersRequest } from './members-cases.js';
import type { ServerContext } from './server-context.js';

const RETRIED = new Set(['unknown_leader', 'timeout', 'shutting_down']);

/**
 * Asks the cluster as a careful dialer would, for the kit's own needs
 * (undoing changes, checking one): from the first address that answers,
 * following `different_leader`, backing off through elections and closed
 * servers, until `deadlineMs` passes. Resolves to the leader's answer, or
 * to what went wrong last.
 */
export async function ask(
  c: ServerContext,
  starts: readonly ServerAddress[],
  request: (rid: number) => Buffer,
  answering: 'change' | 'members',
  deadlineMs: number,
): Promise<CheckedResponse | string> {
  const until = Date.now() + deadlineMs;
  let last = 'not asked';
  let rid = 1;
  for (let attempt = 0; Date.now() < until; attempt++) {
    let at = starts[attempt % starts.length]!;
    for (let hops = 0; hops < 4; hops++) {
      let got;
      try {
        const peer = await c.accepted(1, at);
        peer.send(request(++rid));
        got = await c.response(peer, answering);
        peer.destroy();
      } catch (err) {
        last = `${at}: ${(err as Error).message}`;
        break;
      }
      if (!got.ok) {
        last = `${at}: ${got.observed}`;
        break;
      }
      const { response } = got;
      if (response.code === 'different_leader' && response.leader) {
        at = response.leader;
        continue;
      }
      if (response.ok === true || !RETRIED.has(response.code ?? '')) return response;
      last = `${at}: ${describeResponse(response)}`;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, 50 * 2 ** Math.min(attempt, 4))));
  }
  return last;
}

/** A leave of `id` as a frame with `rid`. */
export const leaveRequest = (id: string) => (rid: number): Buffer =>
  mp.frame(mp.fields([['type', mp.str('leave')], ['rid', mp.int(rid)], ['id', mp.str(id)]]));

/** The whole configuration (following pages), via any of `starts`; or what went wrong. */
export async function readConfiguration(c: ServerContext, starts: readonly ServerAddress[], deadlineMs: number): Promise<string[] | string> {
  const ids: string[] = [];
  let offset = 0;
  for (let pages = 0; pages < 10_000; pages++) {
    const answer = await ask(c, starts, (rid) => membersRequest(rid, offset === 0 ? undefined : mp.int(offset)), 'members', deadlineMs);
    if (typeof answer === 'string') return answer;
    if (answer.ok !== true || answer.members === undefined) return describeResponse(answer);
    ids.push(...answer.members.map((m) => m.id));
    if (answer.next === undefined) return ids;
    offset = answer.next;
  }
  return 'too many pages';
}
