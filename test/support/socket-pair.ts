import { createServer, connect, type Server, type Socket } from 'node:net';
import type { useCleanup } from './cleanup.js';

/**
 * A loopback socket pair: what the client side writes, the server side
 * collects; `reading` false leaves the server side paused (a peer that
 * does not read).
 */
export async function socketPair(use: ReturnType<typeof useCleanup>, reading = true): Promise<{ client: Socket; peer: Socket; received: () => Buffer; closed: Promise<void> }> {
  const chunks: Buffer[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let resolvePeer!: (socket: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => (resolvePeer = resolve));
  const server: Server = use(
    createServer((socket) => {
      use(socket, (s) => s.destroy());
      if (reading) socket.on('data', (chunk) => chunks.push(chunk));
      else socket.pause();
      socket.on('close', resolveClosed);
      resolvePeer(socket);
    }),
    (s) => new Promise((resolve) => s.close(resolve)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const client = use(connect({ host: '127.0.0.1', port }), (s) => s.destroy());
  await new Promise((resolve) => client.once('connect', resolve));
  return { client, peer: await accepted, received: () => Buffer.concat(chunks), closed };
}

/** Counts a socket's `write` calls, and the bytes of each. */
export function countWrites(socket: Socket): number[] {
  const writes: number[] = [];
  const write = socket.write.bind(socket);
  socket.write = ((chunk: Buffer) => {
    writes.push(chunk.length);
    return write(chunk);
  }) as typeof socket.write;
  return writes;
}

/** Resolves after this tick's `process.nextTick` callbacks and I/O. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
