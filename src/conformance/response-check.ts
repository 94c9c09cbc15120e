import { isAddress } from '../protocol/address-cache.js';
import { MAX_REQUEST_ID, MAX_SERVER_ID_BYTES, MAX_WIRE_MESSAGE_BYTES, MEMBERS_PAGE_BYTES, WireErrorCode, decodeRequest, type RequestMessage } from '../protocol/messages.js';
import { field, readValue, safeInt, show, text, writerViolations, type Node } from './msgpack-reader.js';

/** One server of a `members` answer, as the kit read it. */
export interface MemberEntry {
  readonly id: string;
  readonly address: string;
  readonly role: string;
}

/** A response as the kit read it, and every rule of §6 and §7 it breaks. */
export interface CheckedResponse {
  readonly rid: number | undefined;
  readonly ok: boolean | undefined;
  readonly index?: number;
  readonly code?: string;
  readonly message?: string;
  readonly leader?: string;
  readonly members?: readonly MemberEntry[];
  readonly next?: number;
  /** Broken rules; empty when the response is a valid one. */
  readonly problems: readonly string[];
}

/** Says in a few words what a checked response was, for reports. */
export function describeResponse(response: CheckedResponse): string {
  if (response.ok === true) {
    const index = response.index === undefined ? '' : `, index ${response.index}`;
    const members = response.members === undefined ? '' : `, ${response.members.length} members${response.next === undefined ? '' : `, next ${response.next}`}`;
    return `ok (rid ${response.rid}${index}${members})`;
  }
  if (response.ok === false) return `${response.code} (rid ${response.rid}${response.message ? `: ${JSON.stringify(response.message.slice(0, 80))}` : ''})`;
  return `an invalid response: ${response.problems.join('; ')}`;
}

/**
 * Reads a response payload strictly: the writer's rules of §6, then the
 * response schema of §7 for an answer to a change or to a `members` request.
 */
export function checkResponse(payload: Buffer, answering: 'change' | 'members'): CheckedResponse {
  const problems: string[] = [];
  if (payload.length > MEMBERS_PAGE_BYTES) problems.push(`a response of ${payload.length} bytes, over the ${MEMBERS_PAGE_BYTES} a server may send (§7)`);
  const read = readValue(payload);
  if ('error' in read) return { rid: undefined, ok: undefined, problems: [...problems, `not one MessagePack value: ${read.error}`] };
  const node = read.node;
  problems.push(...writerViolations(node));
  if (node.kind !== 'map') return { rid: undefined, ok: undefined, problems: [...problems, `not a map but ${show(node)}`] };
  const ridNode = field(node, 'rid');
  const rid = safeInt(ridNode);
  if (rid === undefined || rid < 0 || rid > MAX_REQUEST_ID) problems.push(`rid is ${show(ridNode)}, not an integer 0 … ${MAX_REQUEST_ID}`);
  const okNode = field(node, 'ok');
  const ok = okNode?.kind === 'bool' ? okNode.value : undefined;
  if (ok === undefined) {
    problems.push(`ok is ${show(okNode)}, not true or false`);
    return { rid, ok, problems };
  }
  return ok ? checkSuccess(node, rid, answering, problems) : checkError(node, rid, problems);
}

function checkSuccess(node: Node, rid: number | undefined, answering: 'change' | 'members', problems: string[]): CheckedResponse {
  const indexNode = field(node, 'index');
  let index: number | undefined;
  if (indexNode !== undefined && indexNode.kind !== 'nil') {
    index = safeInt(indexNode);
    if (indexNode.kind !== 'int' || index === undefined || index < 0) {
      problems.push(`index is ${show(indexNode)}, not an integer 0 … 2^53-1 (§7)`);
      index = undefined;
    }
  }
  const head = { rid, ok: true, ...(index === undefined ? {} : { index }) };
  if (answering !== 'members') return { ...head, problems };
  const membersNode = field(node, 'members');
  if (membersNode?.kind !== 'array') {
    problems.push(`members is ${show(membersNode)}, not an array`);
    return { ...head, problems };
  }
  const members = membersNode.items.map((entry, at) => memberEntry(entry, `members[${at}]`, problems));
  const nextNode = field(node, 'next');
  let next: number | undefined;
  if (nextNode !== undefined && nextNode.kind !== 'nil') {
    next = safeInt(nextNode);
    if (nextNode.kind !== 'int' || next === undefined || next < 0 || next > MAX_REQUEST_ID) {
      problems.push(`next is ${show(nextNode)}, not an integer 0 … ${MAX_REQUEST_ID}`);
      next = undefined;
    }
  }
  return { ...head, members, ...(next === undefined ? {} : { next }), problems };
}

function memberEntry(entry: Node, where: string, problems: string[]): MemberEntry {
  const id = text(field(entry, 'id'));
  const address = text(field(entry, 'address'));
  const roleNode = field(entry, 'role');
  const role = roleNode === undefined || roleNode.kind === 'nil' ? 'voter' : text(roleNode);
  if (entry.kind !== 'map') problems.push(`${where} is ${show(entry)}, not a map`);
  else {
    if (id === undefined || id === '' || Buffer.byteLength(id) > MAX_SERVER_ID_BYTES) problems.push(`${where}.id is ${show(field(entry, 'id'))}, not an id`);
    if (address === undefined || !isAddress(address)) problems.push(`${where}.address is ${show(field(entry, 'address'))}, not an address`);
    if (role !== 'voter' && role !== 'nonvoter') problems.push(`${where}.role is ${show(roleNode)}`);
  }
  return { id: id ?? '', address: address ?? '', role: role ?? '' };
}

function checkError(node: Node, rid: number | undefined, problems: string[]): CheckedResponse {
  const codeNode = field(node, 'code');
  const code = text(codeNode);
  if (code === undefined || code === '') problems.push(`code is ${show(codeNode)}, not a non-empty string`);
  const messageNode = field(node, 'message');
  let message: string | undefined;
  if (messageNode !== undefined && messageNode.kind !== 'nil') {
    message = text(messageNode);
    if (message === undefined) problems.push(`message is ${show(messageNode)}, not a string`);
    else if (Buffer.byteLength(message) > MAX_WIRE_MESSAGE_BYTES) {
      problems.push(`message is ${Buffer.byteLength(message)} bytes, over the ${MAX_WIRE_MESSAGE_BYTES} of §7`);
    }
  }
  const leaderNode = field(node, 'leader');
  const leader = text(leaderNode);
  if (code === WireErrorCode.DifferentLeader) {
    if (leader === undefined || !isAddress(leader)) problems.push(`different_leader with leader ${show(leaderNode)}, not an address (§8)`);
  } else if (leaderNode !== undefined && leaderNode.kind !== 'nil') {
    problems.push(`leader sent with ${code ?? 'no code'} (§7: with different_leader only)`);
  }
  return {
    rid,
    ok: false,
    ...(code === undefined ? {} : { code }),
    message: message ?? '',
    ...(leader === undefined ? {} : { leader }),
    problems,
  };
}

/** A request a dialer sent, as the kit read it, and every rule of §6 and §7 it breaks. */
export interface CheckedRequest {
  readonly request: RequestMessage | undefined;
  /** The rid when one could be read, even from an invalid request. */
  readonly rid: number | undefined;
  readonly problems: readonly string[];
}

/** Reads a request payload strictly: the writer's rules of §6, integer rids and offsets, then §7's schema. */
export function checkRequest(payload: Buffer): CheckedRequest {
  const read = readValue(payload);
  if ('error' in read) return { request: undefined, rid: undefined, problems: [`not one MessagePack value: ${read.error}`] };
  const problems = writerViolations(read.node);
  const ridNode = field(read.node, 'rid');
  const rid = safeInt(ridNode);
  if (ridNode !== undefined && ridNode.kind !== 'int') problems.push(`rid written as ${show(ridNode)}, not an integer format (§6)`);
  const offsetNode = field(read.node, 'offset');
  if (offsetNode !== undefined && offsetNode.kind !== 'int' && offsetNode.kind !== 'nil') problems.push(`offset written as ${show(offsetNode)}, not an integer format (§6)`);
  let request: RequestMessage | undefined;
  try {
    request = decodeRequest(payload);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return { request, rid: rid !== undefined && rid >= 0 && rid <= MAX_REQUEST_ID ? rid : undefined, problems };
}
