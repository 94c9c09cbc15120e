import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HandshakeRefusedError, TcpChanger } from '../../src/index.js';
import { useCleanup } from '../support/cleanup.js';
import { promptFailure } from './support/prompt-failure.js';

// Another kind of server at the address (a web server, an SSH daemon): the
// client says so at once, quoting what it answered, and does not retry
// until the deadline.

const use = useCleanup();
const SELF = '127.0.0.1:7999';

/** Far more than it takes: a banner read as a reply used to wait this long. */
const DEADLINE_MS = 8_000;

async function listening(server: Server): Promise<string> {
  use(server, (s) => new Promise((resolve) => s.close(resolve)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

const refusal = (call: Promise<unknown>): Promise<HandshakeRefusedError> => promptFailure(call, HandshakeRefusedError, DEADLINE_MS);

describe('a client that reaches another kind of server', () => {
  it('names a web server, quoting its status line', async () => {
    // node:http answers the binary hello with 400 Bad Request and closes.
    const address = await listening(createHttpServer((_req, res) => res.end()));
    const changer = use(new TcpChanger({ address: SELF }), (c) => c.close());
    const err = await refusal(changer.join('n4', address, DEADLINE_MS));
    expect(err.message).toBe('peer refused the connection: status 0x48 (not a raft-membership server: it answered "HTTP/1.1 400 Bad Request"…)');
  });

  it('names a server that greets first and then waits (an SSH banner), rather than waiting for its deadline', async () => {
    const sockets = new Set<Socket>();
    const address = await listening(
      createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.write('SSH-2.0-OpenSSH_9.2\r\n');
      }),
    );
    use(sockets, (all) => all.forEach((s) => s.destroy()));
    const changer = use(new TcpChanger({ address: SELF }), (c) => c.close());
    const err = await refusal(changer.dial(address, DEADLINE_MS));
    expect(err).toMatchObject({ code: 'ERR_HANDSHAKE_REFUSED', status: 0x53 });
    expect(err.message).toContain('not a raft-membership server: it answered "SSH-2.0-OpenSSH_9.2"');
  });
});
