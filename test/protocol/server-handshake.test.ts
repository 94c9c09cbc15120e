import { describe, expect, it } from 'vitest';
import { Channel, ReplyStatus, ServerHandshake, encodeHello, parseReply, refusal } from '../../src/protocol/index.js';
import { runPair } from './handshake-pair.js';

const secret = Buffer.from('correct horse');

describe('ServerHandshake', () => {
  it.each([1, 3, Infinity])('accepts a matching hello fed %s bytes at a time, handing over the bytes behind it', (chunk) => {
    const result = runPair({ channel: Channel.Raft, clusterName: 'prod' }, { clusterName: 'prod' }, chunk, Buffer.from('raft!'));
    expect(result.server).toMatchObject({ kind: 'accepted', channel: Channel.Raft });
    if (result.server.kind !== 'accepted') throw new Error('not accepted');
    expect(result.server.rest.toString()).toBe('raft!');
  });

  it.each([1, 7, Infinity])('runs the challenge with a secret, fed %s bytes at a time', (chunk) => {
    const result = runPair({ channel: Channel.Membership, secret }, { secret }, chunk, Buffer.from('frames'));
    expect(result.server.kind).toBe('accepted');
    expect(result.client.kind).toBe('accepted');
    if (result.server.kind !== 'accepted') throw new Error('not accepted');
    expect(result.server.rest.toString()).toBe('frames');
    expect(parseReply(result.server.send)?.reply.detail.length).toBe(32);
  });

  it('refuses a wrong secret with AuthFailed', () => {
    const result = runPair({ channel: Channel.Membership, secret: Buffer.from('guess') }, { secret });
    expect(result.server.kind).toBe('refused');
    expect(parseReply(result.server.send!)?.reply.status).toBe(ReplyStatus.AuthFailed);
    expect(result.client).toMatchObject({ kind: 'failed', error: { reason: 'auth_failed' } });
  });

  it.each([
    ['no magic', Buffer.from('HTTP'), ReplyStatus.BadPreamble],
    ['version 2', Buffer.from([0x52, 0x46, 0x54, 0x4d, 2, 1, 0, 0]), ReplyStatus.UnsupportedVersion],
    ['flags set', Buffer.from([0x52, 0x46, 0x54, 0x4d, 1, 1, 1, 0]), ReplyStatus.BadPreamble],
    ['channel 3', Buffer.from([0x52, 0x46, 0x54, 0x4d, 1, 3, 0, 0]), ReplyStatus.UnknownChannel],
    ['invalid UTF-8 name', Buffer.from([0x52, 0x46, 0x54, 0x4d, 1, 1, 0, 1, 0xff]), ReplyStatus.BadPreamble],
    ['a different cluster', encodeHello(Channel.Membership, 'other'), ReplyStatus.WrongCluster],
  ])('refuses %s', (_what, hello, status) => {
    const step = new ServerHandshake({ clusterName: '' }).push(hello);
    expect(step.kind).toBe('refused');
    expect(parseReply(step.send!)?.reply.status).toBe(status);
  });

  it('judges the version before the name: another version may write its name otherwise', () => {
    const step = new ServerHandshake().push(Buffer.from([0x52, 0x46, 0x54, 0x4d, 2, 1, 0, 1, 0xff]));
    expect(parseReply(step.send!)?.reply).toEqual({ status: ReplyStatus.UnsupportedVersion, detail: Buffer.from([1]) });
  });

  it('waits for more bytes before judging an incomplete hello', () => {
    const handshake = new ServerHandshake();
    expect(handshake.push(Buffer.from('RFTM'))).toEqual({ kind: 'need-more' });
    expect(handshake.push(Buffer.from([1, 1, 0, 0])).kind).toBe('accepted');
  });

  it('takes no bytes after it finished', () => {
    const handshake = new ServerHandshake();
    handshake.push(encodeHello(Channel.Membership));
    expect(() => handshake.push(Buffer.from([1]))).toThrow(/already finished/);
  });

  it('makes refusals for the server’s own reasons', () => {
    const step = refusal(ReplyStatus.Busy, 'too many connections');
    expect(step.kind).toBe('refused');
    expect(parseReply(step.send)?.reply).toEqual({ status: ReplyStatus.Busy, detail: Buffer.from('too many connections') });
  });
});
