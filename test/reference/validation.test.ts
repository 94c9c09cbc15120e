import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/index.js';
import { InvalidMessageError } from '../../src/protocol/errors.js';
import { decodePayload, encodeFrame } from '../../src/protocol/msgpack.js';
import { parseRequest, parseResponse } from '../../reference/raft/messages.js';
import { RaftNode } from '../../reference/raft/node.js';
import { encodeRpcRequest } from '../../reference/raft/rpc-encoding.js';
import type { StreamLayer } from '../../reference/raft/stream-layer.js';

const append = {
  type: 'append_entries',
  term: 3,
  leaderId: 'a',
  leaderAddress: '127.0.0.1:7000',
  prevLogIndex: 1,
  prevLogTerm: 1,
  entries: [
    { index: 2, term: 2, kind: 'noop' },
    { index: 3, term: 3, kind: 'configuration', servers: [{ id: 'a', address: '127.0.0.1:7000', role: 'voter' }] },
    { index: 4, term: 3, kind: 'command', command: { x: [1, 2] } },
  ],
  leaderCommit: 2,
};

/** What a peer would receive: the request through the real codec. */
const roundTrip = (value: unknown): unknown => decodePayload(encodeFrame(value).subarray(4));

describe('raft RPC validation', () => {
  it('accepts well-formed requests and responses', () => {
    expect(parseRequest(roundTrip(append))).toEqual(append);
    const vote = { type: 'request_vote', term: 1, candidateId: 'b', lastLogIndex: 0, lastLogTerm: 0, preVote: true, leadershipTransfer: false };
    expect(parseRequest(roundTrip(vote))).toEqual(vote);
    const result = { type: 'append_entries_result', term: 1, success: false, matchIndex: 0, nextIndexHint: 4 };
    expect(parseResponse(roundTrip(result))).toEqual(result);
  });

  it.each([
    ['not a map', [1, 2]],
    ['unknown type', { ...append, type: 'hello' }],
    ['negative term', { ...append, term: -1 }],
    ['fractional index', { ...append, prevLogIndex: 1.5 }],
    ['bad leader address', { ...append, leaderAddress: 'nowhere' }],
    ['gap in entries', { ...append, entries: [{ index: 3, term: 1, kind: 'noop' }] }],
    ['entry from the future', { ...append, entries: [{ index: 2, term: 9, kind: 'noop' }] }],
    ['unknown entry kind', { ...append, entries: [{ index: 2, term: 1, kind: 'weird' }] }],
    ['bad role', { ...append, entries: [{ index: 2, term: 1, kind: 'configuration', servers: [{ id: 'a', address: '127.0.0.1:1', role: 'boss' }] }] }],
    [
      'duplicate ids',
      {
        ...append,
        entries: [
          {
            index: 2,
            term: 1,
            kind: 'configuration',
            servers: [
              { id: 'a', address: '127.0.0.1:1', role: 'voter' },
              { id: 'a', address: '127.0.0.1:2', role: 'voter' },
            ],
          },
        ],
      },
    ],
    [
      'duplicate ids among many',
      {
        ...append,
        entries: [{ index: 2, term: 1, kind: 'configuration', servers: [...Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, address: `127.0.0.1:${i + 1}`, role: 'voter' })), { id: 's7', address: '127.0.0.1:99', role: 'voter' }] }],
      },
    ],
    ['vote without preVote flag', { type: 'request_vote', term: 1, candidateId: 'b', lastLogIndex: 0, lastLogTerm: 0, leadershipTransfer: false }],
  ])('refuses a request with %s', (_name, value) => {
    expect(() => parseRequest(roundTrip(value))).toThrow(InvalidMessageError);
  });

  it('sends an AppendEntries with each entry encoded once: the map encodeFrame writes, keys in another order', () => {
    const many = Array.from({ length: 70_000 }, (_, i) => ({ index: i + 2, term: 3, kind: 'noop' }));
    for (const entries of [[], append.entries, many.slice(0, 15), many.slice(0, 16), many]) {
      const request = { ...append, entries } as Parameters<typeof encodeRpcRequest>[0];
      const frame = encodeRpcRequest(request);
      expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
      expect(decodePayload(frame.subarray(4))).toEqual(roundTrip(request));
      expect(frame.length).toBe(encodeFrame(request).length);
    }
  });

  it('refuses a response of an unknown type or without a term', () => {
    expect(() => parseResponse(roundTrip({ type: 'timeout_now_result' }))).toThrow(InvalidMessageError);
    expect(() => parseResponse(roundTrip({ type: 'what', term: 1 }))).toThrow(InvalidMessageError);
  });
});

describe('RaftNode options', () => {
  const layer: StreamLayer = { dial: () => Promise.reject(new Error('no')), accept: () => new Promise(() => undefined) };
  it.each([
    ['id', { id: '' }, /id must be/],
    ['address', { address: 'nope' }, /address must be/],
    ['electionTimeoutMs', { electionTimeoutMs: 0 }, /electionTimeoutMs must be/],
    ['heartbeatMs', { heartbeatMs: 2000 }, /heartbeatMs must be/],
  ])('names a bad %s', (_name, override, message) => {
    expect(() => new RaftNode({ id: 'a', address: '127.0.0.1:1', layer, ...override })).toThrow(InvalidOptionError);
    expect(() => new RaftNode({ id: 'a', address: '127.0.0.1:1', layer, ...override })).toThrow(message);
  });

  it('bootstraps only a fresh node', () => {
    const node = new RaftNode({ id: 'a', address: '127.0.0.1:1', layer });
    node.bootstrap();
    expect(node.configuration()).toEqual([{ id: 'a', address: '127.0.0.1:1', role: 'voter' }]);
    expect(() => node.bootstrap()).toThrow(InvalidOptionError);
    expect(node.lastIndex).toBe(1);
    expect(node.term).toBe(1);
  });
});
