import { BadPreambleError } from './errors.js';
import { utf8Prefix } from './utf8.js';

/** The four bytes every connection starts with: ASCII `RFTM`. */
export const MAGIC = Buffer.from('RFTM', 'latin1');

/** The protocol version this library speaks. */
export const PROTOCOL_VERSION = 1;

/** What the rest of a connection carries. */
export const Channel = {
  /** Framed membership requests and responses. */
  Membership: 1,
  /** The raft transport's own bytes, untouched. */
  Raft: 2,
} as const;

/** One of {@link Channel}'s values. */
export type Channel = (typeof Channel)[keyof typeof Channel];

/** The longest cluster name, in UTF-8 bytes. */
export const MAX_CLUSTER_NAME_BYTES = 255;

/** The fixed part of a hello: magic, version, channel, flags, name length. */
export const HELLO_HEADER_BYTES = 8;

/** The status byte of the server's reply to a hello (or to an auth answer). */
export const ReplyStatus = {
  /** Go on with the channel. */
  Accepted: 0x00,
  /** Prove you know the shared secret. */
  Challenge: 0x01,
  /** The hello is broken. */
  BadPreamble: 0x10,
  /** The server does not speak that version; the detail is the highest it does. */
  UnsupportedVersion: 0x11,
  /** No such channel. */
  UnknownChannel: 0x12,
  /** The cluster name differs. */
  WrongCluster: 0x13,
  /** The secret's proof was wrong. */
  AuthFailed: 0x14,
  /** Too many connections or waiting raft streams: retry later. */
  Busy: 0x15,
  /** The server is closing. */
  ShuttingDown: 0x16,
} as const;

/** One of {@link ReplyStatus}'s values. */
export type ReplyStatus = (typeof ReplyStatus)[keyof typeof ReplyStatus];

const STATUS_NAMES = new Map<number, string>(Object.entries(ReplyStatus).map(([name, value]) => [value, name]));

/** A readable name for a reply status, for errors and logs. */
export function replyStatusName(status: number): string {
  const name = STATUS_NAMES.get(status);
  return name === undefined ? `status 0x${status.toString(16).padStart(2, '0')}` : name.replace(/[A-Z]/g, (c, at: number) => (at ? '_' : '') + c.toLowerCase());
}

/** What a dialer says in its first bytes. */
export interface Hello {
  readonly version: number;
  readonly channel: number;
  readonly flags: number;
  readonly clusterName: string;
}

/** The hello a dialer of this version sends. */
export function encodeHello(channel: Channel, clusterName = ''): Buffer {
  const name = Buffer.from(clusterName, 'utf8');
  if (name.length > MAX_CLUSTER_NAME_BYTES) {
    throw new RangeError(`cluster name is ${name.length} bytes in UTF-8, more than ${MAX_CLUSTER_NAME_BYTES}`);
  }
  const out = Buffer.allocUnsafe(HELLO_HEADER_BYTES + name.length);
  MAGIC.copy(out, 0);
  out[4] = PROTOCOL_VERSION;
  out[5] = channel;
  out[6] = 0;
  out[7] = name.length;
  name.copy(out, HELLO_HEADER_BYTES);
  return out;
}

/**
 * Reads a hello from the start of `bytes`: `undefined` while more bytes are
 * needed, else the hello and how many bytes it took. Version and channel are
 * returned as sent, for the server to judge; anything that can never be a
 * hello throws {@link BadPreambleError} as soon as it shows.
 */
export function parseHello(bytes: Buffer): { hello: Hello; length: number } | undefined {
  const seen = Math.min(bytes.length, MAGIC.length);
  if (bytes.compare(MAGIC, 0, seen, 0, seen) !== 0) throw new BadPreambleError('connection does not start with the RFTM magic');
  if (bytes.length < HELLO_HEADER_BYTES) return undefined;
  const nameLength = bytes[7]!;
  const length = HELLO_HEADER_BYTES + nameLength;
  if (bytes.length < length) return undefined;
  const nameBytes = bytes.subarray(HELLO_HEADER_BYTES, length);
  const clusterName = nameBytes.toString('utf8');
  if (!Buffer.from(clusterName, 'utf8').equals(nameBytes)) throw new BadPreambleError('cluster name is not valid UTF-8');
  return { hello: { version: bytes[4]!, channel: bytes[5]!, flags: bytes[6]!, clusterName }, length };
}

/** The longest detail a reply can carry. */
export const MAX_REPLY_DETAIL_BYTES = 255;

/** The server's answer: a status and up to 255 bytes of detail. */
export interface Reply {
  readonly status: number;
  readonly detail: Buffer;
}

/**
 * Encodes a reply. A string detail is UTF-8, cut to fit at a character
 * boundary; binary detail over 255 bytes is a bug and throws.
 */
export function encodeReply(status: ReplyStatus, detail: Buffer | string = Buffer.alloc(0)): Buffer {
  let bytes: Buffer;
  if (typeof detail === 'string') {
    bytes = utf8Prefix(detail, MAX_REPLY_DETAIL_BYTES);
  } else {
    if (detail.length > MAX_REPLY_DETAIL_BYTES) throw new RangeError(`reply detail of ${detail.length} bytes exceeds ${MAX_REPLY_DETAIL_BYTES}`);
    bytes = detail;
  }
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out[0] = status;
  out[1] = bytes.length;
  bytes.copy(out, 2);
  return out;
}

/** Reads a reply from the start of `bytes`, or `undefined` while more are needed. */
export function parseReply(bytes: Buffer): { reply: Reply; length: number } | undefined {
  if (bytes.length < 2) return undefined;
  const length = 2 + bytes[1]!;
  if (bytes.length < length) return undefined;
  return { reply: { status: bytes[0]!, detail: bytes.subarray(2, length) }, length };
}
