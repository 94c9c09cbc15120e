import { computeProof, newNonce } from '../../protocol/auth.js';
import { ReplyStatus } from '../../protocol/preamble.js';
import { Requirement, fail, pass, skip, type CaseDefinition, type Verdict } from '../case.js';
import { describeEnd, hex, type WirePeer } from '../wire-peer.js';
import { ServerContext, describeReply } from './server-context.js';

type ServerCase = CaseDefinition<ServerContext>;
const NEEDS_SECRET = 'the target\'s secret (--secret-file)';

/** Opens a connection, sends the hello of `channel` and reads the Challenge. */
async function challenge(c: ServerContext, channel = 1): Promise<{ peer: WirePeer; hello: Buffer; nonce: Buffer } | Verdict> {
  if (!c.options.secret) return skip('needs the target\'s shared secret: --secret-file FILE');
  const hello = c.hello({ channel });
  const read = await c.helloReply(hello);
  if ('verdict' in read) return read.verdict;
  if (read.reply.status !== ReplyStatus.Challenge || read.reply.detail.length !== 32) return fail(`replied ${describeReply(read.reply)}, not a Challenge`);
  return { peer: read.peer, hello, nonce: read.reply.detail };
}

/** A case that answers the Challenge with a proof computed wrongly, expecting AuthFailed then a close. */
function refusedProof(name: string, description: string, wrongAnswer: (c: ServerContext, hello: Buffer, nonce: Buffer) => Buffer): ServerCase {
  return {
    name,
    section: '§4',
    requirement: Requirement.Must,
    description,
    needs: NEEDS_SECRET,
    async run(c) {
      const started = await challenge(c);
      if (!('peer' in started)) return started;
      started.peer.send(wrongAnswer(c, started.hello, started.nonce));
      const verdict = await c.refusedHello(started.peer, ReplyStatus.AuthFailed);
      if (verdict.kind !== 'pass') return verdict;
      const { end } = await started.peer.waitEnd(c.options.waitMs);
      return end === 'timeout' ? fail('AuthFailed, but the connection stayed open') : pass(`AuthFailed, then ${end}`);
    },
  };
}

/** An answer whose proof is HMAC over `label` with `secret`, for `hello` (maybe not the one sent). */
function answerWith(secret: Uint8Array, side: 'client' | 'server', hello: Buffer, nonce: Buffer): Buffer {
  const clientNonce = newNonce();
  return Buffer.concat([clientNonce, computeProof(side, secret, hello, nonce, clientNonce)]);
}

/** §4: shared-secret authentication. */
export const authCases: readonly ServerCase[] = [
  {
    name: 'auth.fresh-nonce',
    section: '§4',
    requirement: Requirement.Must,
    description: 'Each Challenge carries 32 fresh random bytes: two connections get different nonces.',
    needs: NEEDS_SECRET,
    async run(c) {
      const first = await challenge(c);
      if (!('peer' in first)) return first;
      const second = await challenge(c);
      if (!('peer' in second)) return second;
      return first.nonce.equals(second.nonce) ? fail(`the same nonce twice: ${hex(first.nonce)}`) : pass('two different nonces');
    },
  },
  {
    name: 'auth.accepted-with-proof',
    section: '§4',
    requirement: Requirement.Must,
    description: 'A right auth answer is accepted with Accepted whose detail is proof_s = HMAC-SHA256(K, "raft-membership v1 server" ‖ hello ‖ Ns ‖ Nc).',
    needs: NEEDS_SECRET,
    run: (c) => accepts(c, 1, false),
  },
  {
    name: 'auth.accepted-raft-channel',
    section: '§4',
    requirement: Requirement.Must,
    description: 'The raft channel authenticates the same way: a right answer gets Accepted with proof_s.',
    needs: NEEDS_SECRET,
    run: (c) => accepts(c, 2, false),
  },
  {
    name: 'auth.answer-split',
    section: '§4',
    requirement: Requirement.Must,
    description: 'An auth answer that arrives in two parts, 50 ms apart, is read whole and accepted.',
    needs: NEEDS_SECRET,
    run: (c) => accepts(c, 1, true),
  },
  refusedProof('auth.wrong-proof', 'An auth answer whose proof is 32 random bytes is refused with AuthFailed, then the connection is closed.', () =>
    Buffer.concat([newNonce(), newNonce()]),
  ),
  refusedProof('auth.wrong-secret', 'A proof computed with another secret is refused with AuthFailed.', (_c, hello, nonce) =>
    answerWith(Buffer.from('not the secret of rftm-conformance'), 'client', hello, nonce),
  ),
  refusedProof('auth.proof-binds-hello', 'A proof computed over another hello (the raft channel\'s) is refused: the proof binds the hello as sent.', (c, _hello, nonce) =>
    answerWith(c.options.secret!, 'client', c.hello({ channel: 2 }), nonce),
  ),
  refusedProof('auth.server-label-refused', 'A proof computed with the server\'s label (a reflected proof) is refused with AuthFailed.', (c, hello, nonce) =>
    answerWith(c.options.secret!, 'server', hello, nonce),
  ),
];

async function accepts(c: ServerContext, channel: number, split: boolean): Promise<Verdict> {
  const started = await challenge(c, channel);
  if (!('peer' in started)) return started;
  const { peer, hello, nonce } = started;
  const answer = c.authAnswer(hello, nonce);
  if (split) {
    peer.send(answer.bytes.subarray(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));
    peer.send(answer.bytes.subarray(20));
  } else {
    peer.send(answer.bytes);
  }
  const read = await peer.readReply(c.options.waitMs);
  if (!read.ok) return fail(`no reply to the auth answer: ${describeEnd(read)}`);
  if (read.reply.status !== ReplyStatus.Accepted) return fail(`replied ${describeReply(read.reply)}`);
  if (!ServerContext.proofOk(answer.serverProof, read.reply.detail)) return fail(`Accepted with a detail that is not proof_s: ${hex(read.reply.detail)}`);
  return pass('Accepted with the right proof_s');
}
