import { connect, createServer, type Server, type Socket } from 'node:net';
import { parseAddress, type ServerAddress } from '../../../src/index.js';
import { FrameDecoder, MAGIC } from '../../../src/protocol/index.js';
import { frame } from '../../../src/conformance/msgpack-writer.js';

/** One deliberate fault: what the proxy changes on the way through. */
export interface Fault {
  /** Answers a whole hello itself (with these reply bytes, then a close) instead of passing it on. */
  hello?(hello: Buffer): Buffer | undefined;
  /** Rewrites a request payload on its way to the server. */
  request?(payload: Buffer): Buffer;
  /** Rewrites a response payload on its way back. */
  response?(payload: Buffer): Buffer;
}

/**
 * A TCP proxy in front of a good server that makes it a faulty one: it
 * passes everything through, but reads the hello and, once the membership
 * channel is accepted, the frames both ways, so that `fault` can change
 * one thing. Enough for the kit's own cases (which never put a broken frame
 * behind a good one in one write), not a general tool.
 */
export class RewritingProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  address = '';

  private constructor(
    readonly upstream: ServerAddress,
    readonly fault: Fault,
  ) {
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#connection(socket));
  }

  static async start(upstream: ServerAddress, fault: Fault): Promise<RewritingProxy> {
    const proxy = new RewritingProxy(upstream, fault);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const bound = proxy.#server.address() as { port: number };
    proxy.address = `127.0.0.1:${bound.port}`;
    return proxy;
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #connection(client: Socket): void {
    const { host, port } = parseAddress(this.upstream);
    const server = connect({ host, port, allowHalfOpen: true });
    for (const socket of [client, server]) {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        server.destroy();
      });
    }
    client.on('end', () => server.end());
    server.on('end', () => client.end());
    let state: 'hello' | 'reply' | 'framed' | 'raw' = 'hello';
    let pending = Buffer.alloc(0);
    let channel = 0;
    const requests = new FrameDecoder({ maxFrameSize: 65_536 });
    const responses = new FrameDecoder({ maxFrameSize: 65_536 });
    let requestsRaw = false;
    let responsesRaw = false;
    /** Passes whole frames on, rewritten; a broken one (the kit's, on purpose) goes on as it is, and all after it. */
    const pass = (decoder: FrameDecoder, chunk: Buffer, to: Socket, rewrite: ((payload: Buffer) => Buffer) | undefined): boolean => {
      try {
        decoder.push(chunk, (payload) => to.write(frame(rewrite ? rewrite(payload) : payload)));
        return false;
      } catch {
        to.write(chunk);
        return true;
      }
    };
    client.on('data', (chunk: Buffer) => {
      if (state === 'framed' && !requestsRaw) {
        requestsRaw = pass(requests, chunk, server, this.fault.request);
        return;
      }
      if (state !== 'hello') {
        server.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const seen = Math.min(4, pending.length);
      if (!pending.subarray(0, seen).equals(MAGIC.subarray(0, seen))) {
        state = 'raw';
      } else {
        if (pending.length < 8 || pending.length < 8 + pending[7]!) return;
        const hello = pending.subarray(0, 8 + pending[7]!);
        const answer = this.fault.hello?.(hello);
        if (answer) {
          client.end(answer);
          server.destroy();
          return;
        }
        channel = hello[5]!;
        state = 'reply';
      }
      server.write(pending);
      pending = Buffer.alloc(0);
    });
    let reply = Buffer.alloc(0);
    server.on('data', (chunk: Buffer) => {
      if (state === 'framed' && !responsesRaw) {
        responsesRaw = pass(responses, chunk, client, this.fault.response);
        return;
      }
      if (state !== 'reply') {
        client.write(chunk);
        return;
      }
      reply = Buffer.concat([reply, chunk]);
      if (reply.length < 2 || reply.length < 2 + reply[1]!) return;
      const length = 2 + reply[1]!;
      client.write(reply.subarray(0, length));
      const rest = reply.subarray(length);
      // After an Accepted to a membership hello (no secret), frames both ways.
      state = reply[0] === 0 && reply[1] === 0 && channel === 1 ? 'framed' : 'raw';
      if (rest.length === 0) return;
      if (state === 'framed') responsesRaw = pass(responses, rest, client, this.fault.response);
      else client.write(rest);
    });
  }
}
