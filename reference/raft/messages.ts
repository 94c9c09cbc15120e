/**
 * Reference raft engine (not part of the published API): the RPCs between
 * raft servers, and the checks that turn a decoded `unknown` into one.
 */
import { parseAddress } from '../../src/protocol/address-cache.js';
import type { ConfigurationServer } from '../../src/membership/raft.js';
import { isServerRole } from '../../src/membership/types.js';
import { InvalidMessageError } from '../../src/protocol/errors.js';
import { EntryKind, type LogEntry } from './log.js';

/** The `type` field of every RPC message. */
export const RpcType = {
  AppendEntries: 'append_entries',
  AppendEntriesResult: 'append_entries_result',
  RequestVote: 'request_vote',
  RequestVoteResult: 'request_vote_result',
  TimeoutNow: 'timeout_now',
  TimeoutNowResult: 'timeout_now_result',
} as const;

/** Replicates entries and carries heartbeats (§5.3). */
export interface AppendEntriesRequest {
  readonly type: typeof RpcType.AppendEntries;
  readonly term: number;
  readonly leaderId: string;
  readonly leaderAddress: string;
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly LogEntry[];
  readonly leaderCommit: number;
}

/**
 * `matchIndex` is the last index known to agree with the leader on success;
 * on failure `nextIndexHint` is where the leader should try next (fast
 * back-off: the follower's log end, or the start of the conflicting term).
 */
export interface AppendEntriesResult {
  readonly type: typeof RpcType.AppendEntriesResult;
  readonly term: number;
  readonly success: boolean;
  readonly matchIndex: number;
  readonly nextIndexHint: number;
}

/**
 * Asks for a vote (§5.2). `preVote` asks "would you vote for me?" without
 * anyone changing term (dissertation §9.6); `leadershipTransfer` marks an
 * election started by TimeoutNow, which voters must not ignore for having
 * heard from the leader recently.
 */
export interface RequestVoteRequest {
  readonly type: typeof RpcType.RequestVote;
  readonly term: number;
  readonly candidateId: string;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  readonly preVote: boolean;
  readonly leadershipTransfer: boolean;
}

export interface RequestVoteResult {
  readonly type: typeof RpcType.RequestVoteResult;
  readonly term: number;
  readonly granted: boolean;
}

/** Tells an up-to-date voter to start an election at once (§3.10). */
export interface TimeoutNowRequest {
  readonly type: typeof RpcType.TimeoutNow;
  readonly term: number;
  readonly leaderId: string;
}

export interface TimeoutNowResult {
  readonly type: typeof RpcType.TimeoutNowResult;
  readonly term: number;
}

export type RpcRequest = AppendEntriesRequest | RequestVoteRequest | TimeoutNowRequest;
export type RpcResponse = AppendEntriesResult | RequestVoteResult | TimeoutNowResult;

/** The response type that answers request type `T`. */
export type ResponseTo<T extends RpcRequest> = T extends AppendEntriesRequest
  ? AppendEntriesResult
  : T extends RequestVoteRequest
    ? RequestVoteResult
    : TimeoutNowResult;

/** The `type` of the response to a request of type `type`. */
export function responseTypeOf(type: RpcRequest['type']): RpcResponse['type'] {
  if (type === RpcType.AppendEntries) return RpcType.AppendEntriesResult;
  if (type === RpcType.RequestVote) return RpcType.RequestVoteResult;
  return RpcType.TimeoutNowResult;
}

type Fields = Record<string, unknown>;

function fail(message: string): never {
  throw new InvalidMessageError(message);
}

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is not a map`);
  return value as Fields;
}

function uint(fields: Fields, name: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${name} is not a non-negative integer`);
  return value;
}

/** The longest id or address a message may carry, in characters. */
export const MAX_ID_LENGTH = 1024;

function text(fields: Fields, name: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) fail(`${name} is not a non-empty string`);
  return value;
}

function flag(fields: Fields, name: string): boolean {
  const value = fields[name];
  if (typeof value !== 'boolean') fail(`${name} is not a boolean`);
  return value;
}

function address(fields: Fields, name: string): string {
  const value = text(fields, name);
  try {
    parseAddress(value);
  } catch {
    fail(`${name} is not a host:port address`);
  }
  return value;
}

function server(value: unknown): ConfigurationServer {
  const fields = record(value, 'configuration server');
  const role = fields.role;
  if (!isServerRole(role)) fail('server role is not voter or nonvoter');
  return { id: text(fields, 'id'), address: address(fields, 'address'), role };
}

/** Whether two of `servers` share an id: pairwise for a few (every configuration entry is checked), by a set for many. */
function hasDuplicateId(servers: readonly ConfigurationServer[]): boolean {
  if (servers.length > 16) return new Set(servers.map((s) => s.id)).size !== servers.length;
  for (let i = 1; i < servers.length; i++) {
    for (let j = 0; j < i; j++) if (servers[i]!.id === servers[j]!.id) return true;
  }
  return false;
}

/** Checks a decoded log entry; throws {@link InvalidMessageError}. */
export function parseEntry(value: unknown): LogEntry {
  const fields = record(value, 'log entry');
  const index = uint(fields, 'index');
  const term = uint(fields, 'term');
  if (index < 1 || term < 1) fail('log entry index and term start at 1');
  switch (fields.kind) {
    case EntryKind.Noop:
      return { index, term, kind: EntryKind.Noop };
    case EntryKind.Command:
      return { index, term, kind: EntryKind.Command, command: fields.command };
    case EntryKind.Configuration: {
      if (!Array.isArray(fields.servers)) fail('configuration entry without servers');
      const servers = fields.servers.map(server);
      if (hasDuplicateId(servers)) fail('configuration lists an id twice');
      return { index, term, kind: EntryKind.Configuration, servers };
    }
    default:
      return fail('log entry kind is unknown');
  }
}

function appendEntries(fields: Fields): AppendEntriesRequest {
  const term = uint(fields, 'term');
  const prevLogIndex = uint(fields, 'prevLogIndex');
  if (!Array.isArray(fields.entries)) fail('entries is not an array');
  const entries = fields.entries.map(parseEntry);
  entries.forEach((e, i) => {
    if (e.index !== prevLogIndex + 1 + i) fail('entries are not consecutive after prevLogIndex');
    if (e.term > term || (i > 0 && e.term < entries[i - 1]!.term)) fail('entry terms are out of order');
  });
  return {
    type: RpcType.AppendEntries,
    term,
    leaderId: text(fields, 'leaderId'),
    leaderAddress: address(fields, 'leaderAddress'),
    prevLogIndex,
    prevLogTerm: uint(fields, 'prevLogTerm'),
    entries,
    leaderCommit: uint(fields, 'leaderCommit'),
  };
}

/** Checks a decoded request; throws {@link InvalidMessageError}. */
export function parseRequest(value: unknown): RpcRequest {
  const fields = record(value, 'request');
  switch (fields.type) {
    case RpcType.AppendEntries:
      return appendEntries(fields);
    case RpcType.RequestVote:
      return {
        type: RpcType.RequestVote,
        term: uint(fields, 'term'),
        candidateId: text(fields, 'candidateId'),
        lastLogIndex: uint(fields, 'lastLogIndex'),
        lastLogTerm: uint(fields, 'lastLogTerm'),
        preVote: flag(fields, 'preVote'),
        leadershipTransfer: flag(fields, 'leadershipTransfer'),
      };
    case RpcType.TimeoutNow:
      return { type: RpcType.TimeoutNow, term: uint(fields, 'term'), leaderId: text(fields, 'leaderId') };
    default:
      return fail('unknown request type');
  }
}

/** Checks a decoded response; throws {@link InvalidMessageError}. */
export function parseResponse(value: unknown): RpcResponse {
  const fields = record(value, 'response');
  const term = uint(fields, 'term');
  switch (fields.type) {
    case RpcType.AppendEntriesResult:
      return {
        type: RpcType.AppendEntriesResult,
        term,
        success: flag(fields, 'success'),
        matchIndex: uint(fields, 'matchIndex'),
        nextIndexHint: uint(fields, 'nextIndexHint'),
      };
    case RpcType.RequestVoteResult:
      return { type: RpcType.RequestVoteResult, term, granted: flag(fields, 'granted') };
    case RpcType.TimeoutNowResult:
      return { type: RpcType.TimeoutNowResult, term };
    default:
      return fail('unknown response type');
  }
}
