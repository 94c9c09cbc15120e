import { InvalidAddressError } from '../membership/errors.js';
import type { ConfigurationServer } from '../membership/raft.js';
import { isServerRole, type ServerAddress, type ServerID, type ServerRole } from '../membership/types.js';
import { isAddress, parseAddress } from './address-cache.js';
import { InvalidMessageError } from './errors.js';
import { readPlainJoin } from './join-reader.js';
import { decodePayload, encodeFrame, encodeSuccessFrame } from './msgpack.js';
import { utf8Shorten } from './utf8.js';

/** The largest request id: ids are unsigned 32-bit integers. */
export const MAX_REQUEST_ID = 0xffff_ffff;

/**
 * The largest response payload a server sends, in bytes, and so the least a
 * dialer's maximum frame size for responses may be: a `members` answer
 * that would be larger is cut into pages (docs/wire-format.md §7).
 */
export const MEMBERS_PAGE_BYTES = 65_536;

/**
 * The longest message a response carries, in UTF-8 bytes (a unit every
 * language counts alike); a longer one is cut at a character boundary and
 * ends with `...` (docs/wire-format.md §7).
 */
export const MAX_WIRE_MESSAGE_BYTES = 512;

/** How many characters of a value from the request a message quotes before `...`. */
const QUOTED_CHARACTERS = 40;

/** The longest server id accepted, in UTF-8 bytes. */
export const MAX_SERVER_ID_BYTES = 256;

/** The error codes a response can carry; see docs/wire-format.md for what each asks of a client. */
export const WireErrorCode = {
  /** Not the leader; the response names the leader. */
  DifferentLeader: 'different_leader',
  /** Not the leader, and no leader known. */
  UnknownLeader: 'unknown_leader',
  /** Not committed within the server's request timeout; the outcome is unknown. */
  Timeout: 'timeout',
  /** The request was invalid. */
  BadRequest: 'bad_request',
  /** The cluster cannot add a server with that role. */
  UnsupportedRole: 'unsupported_role',
  /** The cluster refused the change for good. */
  Rejected: 'rejected',
  /** The server is closing; nothing was done. */
  ShuttingDown: 'shutting_down',
  /** The server cannot answer this kind of request (e.g. `members` without a raft configuration). */
  Unsupported: 'unsupported',
  /** Any other failure, its details kept in the server's log. */
  Internal: 'internal',
} as const;

/** One of {@link WireErrorCode}'s values. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Asks for a server to join. */
export interface JoinMessage {
  readonly type: 'join';
  readonly rid: number;
  readonly id: ServerID;
  readonly address: ServerAddress;
  readonly role: ServerRole;
}

/** Asks for a server to leave. */
export interface LeaveMessage {
  readonly type: 'leave';
  readonly rid: number;
  readonly id: ServerID;
}

/**
 * Asks for the cluster's configuration, as the leader knows it: one page of
 * it, starting at server `offset` (0 when absent). See {@link MembersResponse.next}.
 */
export interface MembersMessage {
  readonly type: 'members';
  readonly rid: number;
  /** The position in the configuration's server list of the first server wanted. @default 0 */
  readonly offset?: number;
}

/** Any membership request. */
export type RequestMessage = JoinMessage | LeaveMessage | MembersMessage;

/** The change was committed; `index` is its configuration's log index when known. */
export interface SuccessResponse {
  readonly rid: number;
  readonly ok: true;
  readonly index?: number;
}

/**
 * The answer to a `members` request: a page of the configuration (every
 * server from the request's `offset` on that fits {@link MEMBERS_PAGE_BYTES}),
 * and the configuration's log index when known.
 */
export interface MembersResponse {
  readonly rid: number;
  readonly ok: true;
  readonly index?: number;
  readonly members: readonly ConfigurationServer[];
  /** Present when more servers follow: the `offset` to ask for next. */
  readonly next?: number;
}

/** The change was not made (or its outcome is unknown, for `timeout`). */
export interface ErrorResponse {
  readonly rid: number;
  readonly ok: false;
  readonly code: string;
  readonly message: string;
  /** The leader's address, with `different_leader`. */
  readonly leader?: ServerAddress;
}

/** Any membership response. */
export type ResponseMessage = SuccessResponse | MembersResponse | ErrorResponse;

/** Encodes a request as one frame. */
export function encodeRequest(request: RequestMessage): Buffer {
  if (request.type === 'join') {
    return encodeFrame({ type: 'join', rid: request.rid, id: request.id, address: request.address, role: request.role });
  }
  if (request.type === 'members') {
    // The first page's request stays the two-key map of the test vector.
    const { offset } = request;
    return encodeFrame(offset === undefined || offset === 0 ? { type: 'members', rid: request.rid } : { type: 'members', rid: request.rid, offset });
  }
  return encodeFrame({ type: 'leave', rid: request.rid, id: request.id });
}

/**
 * Encodes the success answer to a change, `{ rid, ok: true, index }`: the
 * frame {@link encodeResponse} makes of it, without building the response.
 */
export function encodeSuccess(rid: number, index: number | undefined): Buffer {
  // Anything but an index of 32 bits takes encodeResponse's rules (left out, or a BigInt).
  if (index !== undefined && index >>> 0 !== index) return encodeResponse({ rid, ok: true, index });
  return encodeSuccessFrame(rid, index);
}

/** Encodes a response as one frame. */
export function encodeResponse(response: ResponseMessage): Buffer {
  if (response.ok) {
    const body: Record<string, unknown> = { rid: response.rid, ok: true };
    const { index } = response;
    // The wire index is an integer up to 2^53-1; anything else (a fraction, a
    // number past that, which is no longer exact) is left out rather than sent
    // as a float. msgpackr writes numbers past 32 bits as float64; a BigInt goes out as uint64.
    if (index !== undefined && Number.isSafeInteger(index) && index >= 0) body.index = index > 0xffff_ffff ? BigInt(index) : index;
    if ('members' in response) {
      body.members = response.members.map(({ id, address, role }) => ({ id, address, role }));
      if (response.next !== undefined) body.next = response.next;
    }
    return encodeFrame(body);
  }
  const body: Record<string, unknown> = { rid: response.rid, ok: false, code: response.code, message: response.message };
  if (response.leader !== undefined) body.leader = response.leader;
  return encodeFrame(body);
}

/**
 * Decodes and validates a request payload. Throws `MalformedFrameError` for
 * bytes that are not MessagePack, `InvalidMessageError` (with `requestId`
 * when it could be read) for a value that is not a valid request.
 */
export function decodeRequest(payload: Uint8Array): RequestMessage {
  // A join as this library's client writes it is read straight from its
  // bytes; it is then checked as any join is, and anything that is not
  // quite that (or does not pass) is read and checked the general way.
  const plain = Buffer.isBuffer(payload) ? readPlainJoin(payload) : undefined;
  if (plain !== undefined && serverIdProblem(plain.id) === undefined && isAddress(plain.address)) return plain;
  const value = asMap(decodePayload(payload), 'request');
  const rid = requestId(value.rid);
  // The message goes back to the peer as a bad_request: within §7's 512 bytes
  // whatever it quotes (values quoted are cut first, by describe()).
  const fail = (why: string, cause?: unknown): never => {
    throw new InvalidMessageError(utf8Shorten(`invalid request ${rid}: ${why}`, MAX_WIRE_MESSAGE_BYTES), rid, cause === undefined ? undefined : { cause });
  };
  switch (value.type) {
    case 'join': {
      const id = serverId(value.id, fail);
      const address = value.address;
      if (typeof address !== 'string') return fail('address must be a string');
      try {
        parseAddress(address);
      } catch (err) {
        return fail(addressProblem('address', address, err), err);
      }
      const role = value.role ?? 'voter';
      if (!isServerRole(role)) return fail(`role must be "voter" or "nonvoter", got ${describe(role)}`);
      return { type: 'join', rid, id, address, role };
    }
    case 'leave':
      return { type: 'leave', rid, id: serverId(value.id, fail) };
    case 'members': {
      const offset = value.offset ?? 0;
      if (!Number.isInteger(offset) || (offset as number) < 0 || (offset as number) > MAX_REQUEST_ID) {
        return fail(`offset must be an integer from 0 to ${MAX_REQUEST_ID}, got ${describe(value.offset)}`);
      }
      return offset === 0 ? { type: 'members', rid } : { type: 'members', rid, offset: offset as number };
    }
    default:
      return fail(`unknown type ${describe(value.type)}`);
  }
}

/** The kinds of request, as their `type` says. */
export type RequestType = RequestMessage['type'];

/**
 * Decodes and validates a response payload; throws like {@link decodeRequest}.
 *
 * `answering` says what the response answers: the request's type, or a
 * function from the response's `rid` to the type of the request in flight
 * with that rid (`undefined` when none is: the response will be ignored, so
 * its `members`, if any, are not read). A `members` array is read in the
 * answer to a `members` request only, and required there; in any other
 * answer it is a key like any unknown one, ignored (docs/wire-format.md §7).
 * Without `answering` (a tool reading responses it did not ask for), a
 * `members` array is read wherever one is present.
 *
 * A success whose `index` is not an integer 0 … 2^53-1 (a fraction, a
 * string, a negative number, one too large to hold exactly) reads as a
 * success without an index: `ok: true` says the change was made, and
 * treating it as undecodable would have the dialer retry a change that is
 * done (§7).
 */
export function decodeResponse(payload: Uint8Array, answering?: RequestType | ((rid: number) => RequestType | undefined)): ResponseMessage {
  const value = asMap(decodePayload(payload), 'response');
  const rid = requestId(value.rid);
  const fail = (why: string, cause?: unknown): never => {
    throw new InvalidMessageError(`invalid response ${rid}: ${why}`, rid, cause === undefined ? undefined : { cause });
  };
  if (value.ok === true) {
    const index = responseIndex(value.index);
    const head = index === undefined ? { rid, ok: true as const } : { rid, ok: true as const, index };
    const readMembers =
      answering === undefined ? value.members !== undefined && value.members !== null : (typeof answering === 'function' ? answering(rid) : answering) === 'members';
    if (!readMembers) return head;
    const members = configurationServers(value.members, fail);
    const next = value.next;
    if (next === undefined || next === null) return { ...head, members };
    if (!Number.isInteger(next) || (next as number) < 0 || (next as number) > MAX_REQUEST_ID) {
      return fail(`next must be an integer from 0 to ${MAX_REQUEST_ID}, got ${describe(next)}`);
    }
    return { ...head, members, next: next as number };
  }
  if (value.ok !== false) return fail('ok must be true or false');
  if (typeof value.code !== 'string' || value.code === '') return fail('code must be a non-empty string');
  const message = typeof value.message === 'string' ? value.message : '';
  if (value.code === WireErrorCode.DifferentLeader) {
    const leader = value.leader;
    if (typeof leader !== 'string') return fail('different_leader needs a leader address');
    try {
      parseAddress(leader);
    } catch (err) {
      return fail(addressProblem('leader', leader, err), err);
    }
    return { rid, ok: false, code: value.code, message, leader };
  }
  return { rid, ok: false, code: value.code, message };
}

/**
 * A response's index: an integer 0 … 2^53-1, or `undefined`. Anything else
 * (a larger integer from a server that keeps a longer log, which a double
 * cannot hold exactly; a fraction, a string, a negative number from a server
 * that breaks §7) cannot be used, but the change it reports succeeded all the
 * same: the response reads as a success without an index.
 */
function responseIndex(index: unknown): number | undefined {
  return Number.isSafeInteger(index) && (index as number) >= 0 ? (index as number) : undefined;
}

/** Why `address` (the value of field `field`) is not an address, quoting at most the start of it. */
function addressProblem(field: string, address: string, err: unknown): string {
  const reason = err instanceof InvalidAddressError ? err.reason : String((err as Error)?.message ?? err);
  return `${field} ${describe(address)} is not a valid address: ${reason}`;
}

function asMap(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value) || value instanceof Uint8Array) {
    throw new InvalidMessageError(`${what} must be a map, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Checks that every server of a configuration is one a dialer can decode
 * in a `members` answer (§7): the same rules {@link decodeResponse} applies
 * to what it reads. Throws a plain `Error` naming the first entry that is
 * not: the fault is the local raft's, not the peer's, so a server answers
 * `internal` and logs it, never `bad_request`.
 */
export function checkConfigurationServers(servers: readonly unknown[]): void {
  configurationServers(servers, (why, cause) => {
    throw new Error(`the raft's configuration holds a server a dialer cannot decode: ${why}`, cause === undefined ? undefined : { cause });
  });
}

/** Validates a `members` list: every entry a map with a valid id and address, and a valid role or none. */
function configurationServers(members: unknown, fail: (why: string, cause?: unknown) => never): ConfigurationServer[] {
  if (!Array.isArray(members)) return fail(`members must be an array, got ${describe(members)}`);
  return members.map((entry: unknown, at) => {
    const where = `members[${at}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry) || entry instanceof Uint8Array) {
      return fail(`${where} must be a map, got ${describe(entry)}`);
    }
    const { id, address, role } = entry as Record<string, unknown>;
    const checkedId = serverId(id, (why) => fail(`${where}: ${why}`));
    if (typeof address !== 'string') return fail(`${where}: address must be a string`);
    try {
      parseAddress(address);
    } catch (err) {
      return fail(`${where}: ${addressProblem('address', address, err)}`, err);
    }
    // The same rule as a join's role: optional, nil as absent, a voter by default.
    const checkedRole = role ?? 'voter';
    if (!isServerRole(checkedRole)) return fail(`${where}: role must be "voter" or "nonvoter", got ${describe(role)}`);
    return { id: checkedId, address, role: checkedRole };
  });
}

function requestId(rid: unknown): number {
  if (!Number.isInteger(rid) || (rid as number) < 0 || (rid as number) > MAX_REQUEST_ID) {
    throw new InvalidMessageError(`rid must be an integer from 0 to ${MAX_REQUEST_ID}, got ${describe(rid)}`);
  }
  return rid as number;
}

function serverId(id: unknown, fail: (why: string) => never): ServerID {
  const problem = serverIdProblem(id);
  return problem === undefined ? (id as ServerID) : fail(problem);
}

/** Why `id` is not a server id; `undefined` when it is one. */
function serverIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || id.length === 0) return 'id must be a non-empty string';
  // Cheap first: no string of at most 64 units exceeds 256 bytes in UTF-8.
  if (id.length > MAX_SERVER_ID_BYTES / 4 && Buffer.byteLength(id, 'utf8') > MAX_SERVER_ID_BYTES) {
    return `id longer than ${MAX_SERVER_ID_BYTES} bytes in UTF-8`;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nil';
  if (typeof value === 'string') {
    if (value.length <= QUOTED_CHARACTERS) return JSON.stringify(value);
    // By code points, so that no surrogate pair is split; one more than
    // wanted tells whether there is more.
    const characters = [...value.slice(0, 2 * QUOTED_CHARACTERS + 2)];
    return JSON.stringify(characters.length > QUOTED_CHARACTERS ? `${characters.slice(0, QUOTED_CHARACTERS).join('')}...` : value);
  }
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : value instanceof Uint8Array ? 'binary' : 'a map';
  return `${typeof value} ${String(value)}`;
}
