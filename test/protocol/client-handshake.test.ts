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

  it('refuses a reply in text at its first two bytes, quoting it: another server listens there', () => {
    const refusal = (bytes: string): unknown => {
      try {
        return new ClientHandshake({ channel: Channel.Membership }).push(Buffer.from(bytes, 'latin1'));
      } catch (caught) {
        return caught;
      }
    };
    const http = refusal('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    expect(http).toBeInstanceOf(HandshakeRefusedError);
    expect(http).toMatchObject({ status: 0x48, reason: 'status 0x48' });
    expect((http as Error).message).toBe('peer refused the connection: status 0x48 (not a raft-membership server: it answered "HTTP/1.1 400 Bad Request"…)');
    // An SSH banner is 21 bytes: read as a reply, it would wait for 85.
    expect((refusal('SSH-2.0-OpenSSH_9.2\r\n') as Error).message).toContain('it answered "SSH-2.0-OpenSSH_9.2"…');
    expect((refusal('SS') as Error).message).toContain('it answered "SS")');
    // A binary status nobody knows is still read as a reply, detail and all.
    expect(new ClientHandshake({ channel: Channel.Membership }).push(Buffer.from([0x7f, 3, 0x41]))).toEqual({ kind: 'need-more' });
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
