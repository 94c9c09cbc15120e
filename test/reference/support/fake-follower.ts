import { createServer, type Server, type Socket } from 'node:net';
import { formatAddress } from '../../../src/index.js';
import { FrameDecoder } from '../../../src/protocol/frame-decoder.js';
import { decodePayload, encodeFrame } from '../../../src/protocol/msgpack.js';
import { parseRequest, RpcType, type AppendEntriesRequest, type AppendEntriesResult, type RpcRequest, type RpcResponse } from '../../../reference/raft/messages.js';

/** An AppendEntries the fake received, and what it answered. */
export interface Exchange {
  readonly request: AppendEntriesRequest;
  readonly answer: AppendEntriesResult;
}

/**
 * A raft server reduced to what a leader sees of a follower: it keeps the
 * terms of its log, answers AppendEntries as §5.3 says (with the same
 * back-off hint as the reference engine) and refuses every vote. It records
 * every AppendEntries and counts the connections it accepted, so that a
 * test can see how a leader catches it up.
 */
export class FakeFollower {
  readonly address: string;
  readonly exchanges: Exchange[] = [];
  /** The term of each entry held: `terms[i]` is index i + 1's. */
  readonly terms: number[] = [];
  connections = 0;
  term = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('not a TCP server');
    this.address = formatAddress(bound.address, bound.port);
    server.on('connection', (socket) => this.#serve(socket));
  }

  static listen(): Promise<FakeFollower> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(new FakeFollower(server)));
    });
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.connections += 1;
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder({ maxFrameSize: 2 * 1024 * 1024 });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, (payload) => socket.write(encodeFrame(this.#answer(parseRequest(decodePayload(payload)))))));
  }

  #answer(request: RpcRequest): RpcResponse {
    this.term = Math.max(this.term, request.term);
    if (request.type === RpcType.RequestVote) return { type: RpcType.RequestVoteResult, term: this.term, granted: false };
    if (request.type === RpcType.TimeoutNow) return { type: RpcType.TimeoutNowResult, term: this.term };
    const answer = this.#append(request);
    this.exchanges.push({ request, answer });
    return answer;
  }

  #append(request: AppendEntriesRequest): AppendEntriesResult {
    const result = (success: boolean, matchIndex: number, nextIndexHint: number): AppendEntriesResult => ({
      type: RpcType.AppendEntriesResult,
      term: this.term,
      success,
      matchIndex,
      nextIndexHint,
    });
    const { prevLogIndex, prevLogTerm } = request;
    if (prevLogIndex > this.terms.length) return result(false, 0, this.terms.length + 1);
    if (prevLogIndex > 0 && this.terms[prevLogIndex - 1] !== prevLogTerm) return result(false, 0, prevLogIndex);
    for (const entry of request.entries) {
      if (this.terms[entry.index - 1] === entry.term) continue;
      this.terms.length = entry.index - 1;
      this.terms.push(entry.term);
    }
    return result(true, prevLogIndex + request.entries.length, 0);
  }
}
