/**
 * Reference raft engine (not part of the published API): RPC requests as
 * frames, each log entry encoded once. A leader sends the same entries again
 * and again (to each follower, to each joiner caught up, in each retry), and
 * encoding them was most of what sending an AppendEntries cost; an entry's
 * MessagePack bytes are now kept beside it and copied into each frame.
 */
import { FRAME_HEADER_BYTES, encodeFrame } from '../../src/protocol/msgpack.js';
import type { LogEntry } from './log.js';
import { RpcType, type RpcRequest } from './messages.js';

const encoded = new WeakMap<LogEntry, Buffer>();

/** `entry` as MessagePack (encoded on first use, then remembered as long as the entry lives). */
export function encodedEntry(entry: LogEntry): Buffer {
  let bytes = encoded.get(entry);
  if (bytes === undefined) {
    // A copy: the encoder's frames are views of a shared slab.
    bytes = Buffer.from(encodeFrame(entry).subarray(FRAME_HEADER_BYTES));
    encoded.set(entry, bytes);
  }
  return bytes;
}

/** The MessagePack header of an array of `length` items. */
function arrayHeader(length: number): Buffer {
  if (length < 16) return Buffer.of(0x90 | length);
  if (length < 0x10000) return Buffer.of(0xdc, length >> 8, length & 0xff);
  const header = Buffer.allocUnsafe(5);
  header[0] = 0xdd;
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * `request` as a frame. An AppendEntries is its envelope with `entries`
 * last (`encodeFrame` writes an empty array there: one byte, 0x90), that
 * byte replaced by the array's header and each entry's remembered bytes:
 * the same map as `encodeFrame(request)` gives, its keys in another order.
 */
export function encodeRpcRequest(request: RpcRequest): Buffer {
  if (request.type !== RpcType.AppendEntries || request.entries.length === 0) return encodeFrame(request);
  const { entries, ...envelope } = request;
  const head = encodeFrame({ ...envelope, entries: [] });
  const parts = [head.subarray(0, head.length - 1), arrayHeader(entries.length), ...entries.map(encodedEntry)];
  const frame = Buffer.concat(parts);
  frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
  return frame;
}
