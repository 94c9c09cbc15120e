/**
 * The HTTP baseline, as the Go original does it: a `node:http` endpoint
 * (POST /join with `{id, address}` as JSON, answered at once) and a
 * keep-alive client on one socket.
 */
import { createServer, request as httpRequest, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { JOIN_ID, SELF, listenLoopback, type Running } from './support.js';

/** A `node:http` membership endpoint: POST /join with `{ id, address }`, answered at once. */
export async function httpServer(): Promise<Running> {
  let n = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; address?: unknown };
      if (typeof body.id !== 'string' || typeof body.address !== 'string') {
        res.writeHead(400).end();
        return;
      }
      const reply = JSON.stringify({ index: ++n });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    });
  });
  return {
    address: await listenLoopback(server),
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A keep-alive client for {@link httpServer}: one socket, reused. */
export function httpJoiner(address: string): { join(): Promise<number>; close(): void } {
  const at = address.lastIndexOf(':');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ id: JOIN_ID, address: SELF });
  const options = {
    agent,
    host: address.slice(0, at),
    port: Number(address.slice(at + 1)),
    method: 'POST',
    path: '/join',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  };
  return {
    join: () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(options, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}`));
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { index: number }).index);
          });
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}
