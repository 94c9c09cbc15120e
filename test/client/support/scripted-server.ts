import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder, ServerHandshake, decodeRequest, encodeResponse, type RequestMessage, type ResponseMessage } from '../../../src/protocol/index.js';

/** What the scripted server answers a request with (its rid is filled in). */
export type Script = (request: RequestMessage) => Omit<ResponseMessage, 'rid'>;

/**
 * A membership server that answers each request as `script` says, with the
 * real codec (as ioredis's mock server does): for answers the library's own
 * server does not give, such as pages.
 */
export class ScriptedServer {
  readonly requests: RequestMessage[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(script: Script) {
    this.#server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => this.#sockets.delete(socket));
      const handshake = new ServerHandshake();
      const decoder = new FrameDecoder();
      let open = false;
      socket.on('data', (chunk: Buffer) => {
        let bytes = chunk;
        if (!open) {
          const step = handshake.push(chunk);
          if (step.kind === 'need-more') return;
          socket.write(step.send);
          if (step.kind === 'refused') return void socket.end();
          open = true;
          bytes = step.rest;
        }
        decoder.push(bytes, (payload) => {
          const request = decodeRequest(payload);
          this.requests.push(request);
          socket.write(encodeResponse({ ...script(request), rid: request.rid } as ResponseMessage));
        });
      });
    });
  }

  /** Listens on a free loopback port. */
  static async start(script: Script): Promise<ScriptedServer & { readonly address: string }> {
    const scripted = new ScriptedServer(script);
    await new Promise<void>((resolve) => scripted.#server.listen(0, '127.0.0.1', resolve));
    const { port } = scripted.#server.address() as { port: number };
    return Object.assign(scripted, { address: `127.0.0.1:${port}` });
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
