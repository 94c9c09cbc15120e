import { describe, expect, it } from 'vitest';
import {
  BadPreambleError,
  Channel,
  HELLO_HEADER_BYTES,
  MAGIC,
  MAX_CLUSTER_NAME_BYTES,
  MAX_REPLY_DETAIL_BYTES,
  PROTOCOL_VERSION,
  ReplyStatus,
  encodeHello,
  encodeReply,
  parseHello,
  parseReply,
  replyStatusName,
} from '../../src/protocol/index.js';

/** A hello with any header values, built by hand. */
function rawHello(version: number, channel: number, flags: number, name: Buffer): Buffer {
  return Buffer.concat([Buffer.from('RFTM', 'latin1'), Buffer.from([version, channel, flags, name.length]), name]);
}

describe('hello', () => {
  it.each([
    [Channel.Membership, ''],
    [Channel.Raft, 'prod'],
    [Channel.Raft, 'ünïcødé 集群'],
    [Channel.Membership, 'n'.repeat(MAX_CLUSTER_NAME_BYTES)],
  ])('encodes and parses channel %d, name %j', (channel, clusterName) => {
    const bytes = encodeHello(channel, clusterName);
    const name = Buffer.from(clusterName, 'utf8');
    expect(bytes).toEqual(rawHello(PROTOCOL_VERSION, channel, 0, name));
    expect(bytes.length).toBe(HELLO_HEADER_BYTES + name.length);
    expect(parseHello(bytes)).toEqual({ hello: { version: PROTOCOL_VERSION, channel, flags: 0, clusterName }, length: bytes.length });
  });

  it('refuses a name longer than 255 UTF-8 bytes', () => {
    expect(() => encodeHello(Channel.Raft, 'é'.repeat(128))).toThrow(RangeError);
  });

  it('needs more bytes for every proper prefix', () => {
    const bytes = encodeHello(Channel.Raft, 'prod');
    for (let n = 0; n < bytes.length; n++) expect(parseHello(bytes.subarray(0, n))).toBeUndefined();
  });

  it('stops at the end of the hello, leaving what follows', () => {
    const hello = encodeHello(Channel.Raft, 'prod');
    const parsed = parseHello(Buffer.concat([hello, Buffer.from('raft bytes')]));
    expect(parsed?.length).toBe(hello.length);
    expect(parsed?.hello.clusterName).toBe('prod');
  });

  it('returns version, channel and flags as sent, for the server to judge', () => {
    expect(parseHello(rawHello(9, 7, 0x80, Buffer.alloc(0)))?.hello).toEqual({ version: 9, channel: 7, flags: 0x80, clusterName: '' });
  });

  it.each(['X', 'RX', 'RFX', 'RFTX', 'rftm\x01\x01\x00\x00', 'GET / HTTP/1.1\r\n'])('refuses the wrong magic %j as soon as it shows', (start) => {
    expect(() => parseHello(Buffer.from(start, 'latin1'))).toThrow(BadPreambleError);
  });

  it('throws on the first wrong byte, before a whole header arrived', () => {
    expect(() => parseHello(Buffer.from([0x00]))).toThrow(/RFTM magic/);
    for (let n = 1; n < MAGIC.length; n++) expect(parseHello(MAGIC.subarray(0, n))).toBeUndefined();
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a truncated sequence', [0x70, 0xc3]],
    ['0xff', [0xff, 0xfe]],
    ['an overlong slash', [0xc0, 0xaf]],
    ['a UTF-16 surrogate', [0xed, 0xa0, 0x80]],
  ])('refuses a cluster name that is not UTF-8: %s', (_name, bytes) => {
    expect(() => parseHello(rawHello(1, 1, 0, Buffer.from(bytes)))).toThrow(/not valid UTF-8/);
  });

  it('accepts a name holding U+FFFD itself', () => {
    expect(parseHello(rawHello(1, 1, 0, Buffer.from('a\ufffdb', 'utf8')))?.hello.clusterName).toBe('a\ufffdb');
  });
});

describe('reply', () => {
  it.each([
    [ReplyStatus.Accepted, Buffer.alloc(0)],
    [ReplyStatus.Challenge, Buffer.alloc(32, 0xab)],
    [ReplyStatus.UnsupportedVersion, Buffer.from([1])],
    [ReplyStatus.Busy, Buffer.from('too many connections')],
  ])('encodes and parses status %d', (status, detail) => {
    const bytes = encodeReply(status, detail);
    expect(bytes).toEqual(Buffer.concat([Buffer.from([status, detail.length]), detail]));
    expect(parseReply(bytes)).toEqual({ reply: { status, detail }, length: bytes.length });
    for (let n = 0; n < bytes.length; n++) expect(parseReply(bytes.subarray(0, n))).toBeUndefined();
  });

  it('encodes a string detail as UTF-8', () => {
    expect(encodeReply(ReplyStatus.WrongCluster, 'é')).toEqual(Buffer.from([0x13, 2, 0xc3, 0xa9]));
  });

  it('cuts a detail to 255 bytes', () => {
    const bytes = encodeReply(ReplyStatus.BadPreamble, 'x'.repeat(300));
    expect(bytes[1]).toBe(MAX_REPLY_DETAIL_BYTES);
    expect(bytes.length).toBe(2 + MAX_REPLY_DETAIL_BYTES);
  });

  it('stops at the end of the reply', () => {
    const reply = encodeReply(ReplyStatus.Accepted);
    expect(parseReply(Buffer.concat([reply, Buffer.from([1, 2, 3])]))?.length).toBe(reply.length);
  });
});

describe('replyStatusName', () => {
  it.each([
    [ReplyStatus.Accepted, 'accepted'],
    [ReplyStatus.Challenge, 'challenge'],
    [ReplyStatus.BadPreamble, 'bad_preamble'],
    [ReplyStatus.UnsupportedVersion, 'unsupported_version'],
    [ReplyStatus.UnknownChannel, 'unknown_channel'],
    [ReplyStatus.WrongCluster, 'wrong_cluster'],
    [ReplyStatus.AuthFailed, 'auth_failed'],
    [ReplyStatus.Busy, 'busy'],
    [ReplyStatus.ShuttingDown, 'shutting_down'],
    [0x05, 'status 0x05'],
    [0xff, 'status 0xff'],
  ])('names %d %s', (status, name) => {
    expect(replyStatusName(status)).toBe(name);
  });

  it('has a name for every status', () => {
    expect(Object.values(ReplyStatus).map(replyStatusName).filter((n) => n.startsWith('status '))).toEqual([]);
  });
});

describe('encodeReply limits', () => {
  it('cuts a long string detail on a character boundary', () => {
    const detail = encodeReply(ReplyStatus.BadPreamble, 'é'.repeat(200)).subarray(2);
    expect(detail.length).toBeLessThanOrEqual(255);
    expect(detail.length).toBeGreaterThan(250);
    expect(Buffer.from(detail.toString('utf8'), 'utf8')).toEqual(detail);
  });

  it('refuses binary detail longer than 255 bytes', () => {
    expect(() => encodeReply(ReplyStatus.Challenge, Buffer.alloc(256))).toThrow(RangeError);
  });
});
