import { Requirement, fail, pass, skip, type CaseDefinition, type Verdict } from '../case.js';
import * as mp from '../msgpack-writer.js';
import { describeResponse } from '../response-check.js';
import { hex, type WirePeer } from '../wire-peer.js';
import type { ServerContext } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const { Must } = Requirement;

/** Sends `count` harmless requests (rids 1 … count) in one write and reads as many answers, each rid once. */
async function pipelined(c: ServerContext, peer: WirePeer, count: number): Promise<Verdict> {
  peer.send(Buffer.concat(Array.from({ length: count }, (_, i) => c.harmless(i + 1))));
  const waiting = new Set(Array.from({ length: count }, (_, i) => i + 1));
  while (waiting.size > 0) {
    const got = await c.response(peer);
    if (!got.ok) return fail(`${count - waiting.size} of ${count} answered, then ${got.observed}`);
    const { response } = got;
    if (response.problems.length > 0) return fail(`an answer with ${response.problems.join('; ')}`);
    if (response.rid === undefined || !waiting.delete(response.rid)) return fail(`an answer with rid ${response.rid}, not one in flight`);
    if (response.code === 'bad_request') return fail(`rid ${response.rid} refused: ${JSON.stringify(response.message)}`);
  }
  return pass(`all ${count} answered, each rid once`);
}

/** §9: the connection's life cycle and limits. */
export const lifeCases: readonly ServerCase[] = [
  {
    name: 'life.pipelined',
    section: '§9',
    requirement: Must,
    description: 'Requests may be pipelined: 8 requests in one write get 8 answers, matched by rid.',
    run: async (c) => pipelined(c, await c.accepted(), 8),
  },
  {
    name: 'life.back-pressure',
    section: '§9',
    requirement: Must,
    description: '300 requests in one write (more than a server keeps in flight) are all answered: past its limit a server stops reading, it does not refuse or close.',
    run: async (c) => pipelined(c, await c.accepted(), 300),
  },
  {
    name: 'life.bad-request-keeps-connection',
    section: '§9',
    requirement: Must,
    description: 'A map with a readable rid that is not a valid request gets bad_request and the connection stays open: the next request is answered.',
    async run(c) {
      const peer = await c.accepted();
      peer.send(mp.frame(mp.fields([['type', mp.str('rftm-unknown')], ['rid', mp.int(1)]])));
      const refused = await c.refusedWith(peer, 1, 'bad_request');
      if (refused.kind !== 'pass') return refused;
      peer.send(c.harmless(2));
      const next = await c.answered(peer, 2);
      return next.kind === 'pass' ? pass(`bad_request, then ${next.observed}`) : fail(`bad_request, then ${next.observed}`);
    },
  },
  {
    name: 'life.duplicate-rid',
    section: '§9',
    requirement: Must,
    description: 'Two requests with one rid in one write: the second is answered bad_request at once if the first is still in flight, and the first is answered in its turn; the connection stays open.',
    async run(c) {
      const peer = await c.accepted();
      peer.send(Buffer.concat([c.harmless(7), c.harmless(7)]));
      const answers: string[] = [];
      for (let i = 0; i < 2; i++) {
        const got = await c.response(peer);
        if (!got.ok) return fail(`${answers.length} answers (${answers.join(', ')}), then ${got.observed}`);
        if (got.response.problems.length > 0) return fail(`an answer with ${got.response.problems.join('; ')}`);
        if (got.response.rid !== 7) return fail(`an answer with rid ${got.response.rid}`);
        answers.push(got.response.ok === true ? 'ok' : got.response.code ?? '?');
      }
      if (answers.every((a) => a === 'bad_request')) return fail('both answered bad_request: the first request was lost');
      const extra = await peer.quiet(c.options.quietMs);
      if (extra.length > 0) return fail(`a third answer: ${hex(extra)}`);
      if (peer.ended) return fail(`the connection was ${peer.ended}`);
      return pass(`two answers with rid 7: ${answers.join(', ')}`);
    },
  },
  {
    name: 'life.idle-timeout',
    section: '§9',
    requirement: Must,
    description: 'A membership connection with nothing in flight is closed once idle for the idle timeout.',
    needs: 'the target\'s idle timeout (--idle-timeout)',
    async run(c) {
      const idle = c.options.idleTimeoutMs;
      if (idle === undefined) return skip('needs the target\'s idle timeout: --idle-timeout DURATION');
      const peer = await c.accepted();
      peer.send(c.harmless(1));
      const answered = await c.answered(peer, 1);
      if (answered.kind !== 'pass') return answered;
      return c.closedWithin(peer, idle);
    },
  },
  {
    name: 'life.frame-deadline',
    section: '§9',
    requirement: Must,
    description: 'A frame begun (its header and one byte of payload) but never finished is dropped at the frame deadline, without a response.',
    needs: 'the target\'s frame deadline (--frame-deadline)',
    async run(c) {
      const deadline = c.options.frameTimeoutMs;
      if (deadline === undefined) return skip('needs the target\'s frame deadline: --frame-deadline DURATION');
      const peer = await c.accepted();
      peer.send(c.harmless(1).subarray(0, 5));
      return c.closedWithin(peer, deadline);
    },
  },
  {
    name: 'life.responses-fit',
    section: '§7',
    requirement: Must,
    description: 'No response is larger than 65536 bytes, not even the bad_request for the largest request a server accepts (an unknown type padded to the maximum frame size).',
    async run(c) {
      const base = mp.fields([['type', mp.str('x')], ['rid', mp.int(1)]]);
      const pad = c.options.maxFrameSize - base.length - 5;
      if (pad < 0) return skip('the maximum frame size is below the request itself');
      const peer = await c.accepted();
      peer.send(mp.frame(mp.fields([['type', mp.str(Buffer.alloc(pad, 0x78), 'str32')], ['rid', mp.int(1)]])));
      const got = await c.response(peer);
      if (!got.ok) return fail(got.observed);
      if (got.length > 65_536) return fail(`a response of ${got.length} bytes`);
      if (got.response.problems.length > 0) return fail(got.response.problems.join('; '));
      return got.response.code === 'bad_request' ? pass(`bad_request in ${got.length} bytes`) : fail(`answered ${describeResponse(got.response)}`);
    },
  },
];
