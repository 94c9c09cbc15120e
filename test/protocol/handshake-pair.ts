import { ClientHandshake, ServerHandshake, type ClientHandshakeOptions, type ServerHandshakeOptions, type ServerStep } from '../../src/protocol/index.js';

/** The outcome of running a client and a server handshake against each other, in memory. */
export interface PairResult {
  readonly server: ServerStep;
  readonly client: { kind: 'accepted'; rest: Buffer } | { kind: 'failed'; error: unknown } | { kind: 'waiting' };
}

/**
 * Runs both pure machines against each other, delivering every message in
 * pieces of `chunk` bytes, with `extra` appended to the dialer's last
 * message (bytes that belong to the channel).
 */
export function runPair(client: ClientHandshakeOptions, server: ServerHandshakeOptions, chunk = Infinity, extra = Buffer.alloc(0)): PairResult {
  const dialer = new ClientHandshake(client);
  const acceptor = new ServerHandshake(server);
  const pieces = (bytes: Buffer): Buffer[] => {
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += chunk) out.push(bytes.subarray(at, Math.min(bytes.length, at + chunk)));
    return out.length ? out : [bytes];
  };
  let toServer = Buffer.concat([dialer.hello, client.secret ? Buffer.alloc(0) : extra]);
  for (let turn = 0; turn < 4; turn++) {
    let step: ServerStep = { kind: 'need-more' };
    const parts = pieces(toServer);
    for (let i = 0; i < parts.length; i++) {
      step = acceptor.push(parts[i]!);
      if (step.kind === 'accepted') {
        // Pieces after the preamble would go straight to the channel.
        step = { ...step, rest: Buffer.concat([step.rest, ...parts.slice(i + 1)]) };
      }
      if (step.kind !== 'need-more') break;
    }
    if (step.kind === 'refused') {
      try {
        dialer.push(step.send);
        return { server: step, client: { kind: 'waiting' } };
      } catch (error) {
        return { server: step, client: { kind: 'failed', error } };
      }
    }
    const reply = step.send ?? Buffer.alloc(0);
    let answer: Buffer | undefined;
    try {
      for (const piece of pieces(reply)) {
        const c = dialer.push(piece);
        if (c.kind === 'accepted') return { server: step, client: c };
        if (c.send) answer = c.send;
      }
    } catch (error) {
      return { server: step, client: { kind: 'failed', error } };
    }
    if (step.kind === 'accepted') return { server: step, client: { kind: 'waiting' } };
    if (!answer) return { server: step, client: { kind: 'waiting' } };
    toServer = Buffer.concat([answer, extra]);
  }
  throw new Error('handshake did not finish in four turns');
}
