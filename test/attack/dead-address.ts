import { createServer } from 'node:net';

/**
 * A loopback address nobody listens on, for a client that joins as a
 * "server" it does not run: raft's dials to it are refused at once. Each
 * call gives a port free a moment ago, so two clients do not share one.
 */
export async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return `127.0.0.1:${address.port}`;
}
