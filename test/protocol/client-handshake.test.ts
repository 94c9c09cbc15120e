import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  BadPreambleError,
  Channel,
  ClientHandshake,
  HandshakeRefusedError,
  ReplyStatus,
  encodeHello,
  encodeReply,
} from '../../src/protocol/index.js';
import { runPair } from './handshake-pair.js';

describe('ClientHandshake', () => {
  it('sends the hello for its channel and cluster', () => {
    expect(new ClientHandshake({ channel: Channel.Raft, clusterName: 'prod' }).hello).toEqual(encodeHello(Channel.Raft, 'prod'));
  });

  it('is accepted, and keeps bytes the server sent behind the reply', () => {
    const client = new ClientHandshake({ channel: Channel.Membership });
    expect(client.push(Buffer.from([0]))).toEqual({ kind: 'need-more' });
    const step = client.push(Buffer.from([0, 9, 9]));
    expect(step).toEqual({ kind: 'accepted', rest: Buffer.from([9, 9]) });
  });

  it.each([
    [ReplyStatus.WrongCluster, 'wrong_cluster'],
    [ReplyStatus.Busy, 'busy'],
    [ReplyStatus.ShuttingDown, 'shutting_down'],
    [ReplyStatus.UnsupportedVersion, 'unsupported_version'],
    [0x7f, 'status 0x7f'],
  ])('turns refusal status %s into HandshakeRefusedError %s', (status, reason) => {
    const client = new ClientHandshake({ channel: Channel.Membership });
    const reply = status === ReplyStatus.UnsupportedVersion ? encodeReply(status, Buffer.from([1])) : encodeReply(status as ReplyStatus, 'why');
    let error: unknown;
    try {
      client.push(reply);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HandshakeRefusedError);
    expect(error).toMatchObject({ status, reason });
  });

  // §3: an UnsupportedVersion detail is exactly one byte, never read from the first of several.
  it.each([0, 2])('refuses an UnsupportedVersion with %s bytes of detail as a broken reply', (length) => {
    const client = new ClientHandshake({ channel: Channel.Membership });
    expect(() => client.push(encodeReply(ReplyStatus.UnsupportedVersion, Buffer.alloc(length, 1)))).toThrow(BadPreambleError);
  });

  it('without a secret, refuses a challenge', () => {
    const client = new ClientHandshake({ channel: Channel.Membership });
    expect(() => client.push(encodeReply(ReplyStatus.Challenge, Buffer.alloc(32)))).toThrow(AuthenticationError);
  });

  it('with a secret, refuses a server that accepts without a challenge', () => {
    const result = runPair({ channel: Channel.Membership, secret: Buffer.from('s') }, {});
    expect(result.client).toMatchObject({ kind: 'failed', error: expect.any(AuthenticationError) });
  });

  it('with a secret, refuses a wrong server proof, a short nonce and a second challenge', () => {
    const secret = Buffer.from('s');
    const forged = new ClientHandshake({ channel: Channel.Membership, secret });
    forged.push(encodeReply(ReplyStatus.Challenge, Buffer.alloc(32, 1)));
    expect(() => forged.push(encodeReply(ReplyStatus.Accepted, Buffer.alloc(32, 2)))).toThrow(/proof/);

    const short = new ClientHandshake({ channel: Channel.Membership, secret });
    expect(() => short.push(encodeReply(ReplyStatus.Challenge, Buffer.alloc(8)))).toThrow(/8 bytes/);

    const twice = new ClientHandshake({ channel: Channel.Membership, secret });
    twice.push(encodeReply(ReplyStatus.Challenge, Buffer.alloc(32)));
    expect(() => twice.push(encodeReply(ReplyStatus.Challenge, Buffer.alloc(32)))).toThrow(/twice/);
  });

  it('refuses an Accepted that carries detail it cannot check', () => {
    const client = new ClientHandshake({ channel: Channel.Membership });
    expect(() => client.push(encodeReply(ReplyStatus.Accepted, Buffer.alloc(32)))).toThrow(BadPreambleError);
  });
});
