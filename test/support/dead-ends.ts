import { createServer, type Server, type Socket } from 'node:net';

/** What a test registers for closing: `useCleanup()`'s function. */
type Use = <T>(resource: T, close: (resource: T) => unknown) => T;

/** A server that accepts connections and then never says a word (a black hole), and how many it took. */
export interface SilentServer {
  readonly address: string;
  readonly accepted: () => number;
}

/** A TCP server that accepts and then never says a word. */
export async function silentServer(use: Use): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  use(server, (s) => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => s.close(resolve));
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('not bound');
  return { address: `127.0.0.1:${bound.port}`, accepted: () => accepted };
}

/** A loopback port with nothing listening on it: dials are refused. */
export async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (bound === null || typeof bound === 'string') throw new Error('not bound');
  return `127.0.0.1:${bound.port}`;
}
