import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Channel, MembershipServer, ReplyStatus, ShuttingDownError, TcpChanger } from '../../src/index.js';
import { encodeHello } from '../../src/protocol/index.js';
import { useCleanup } from '../support/cleanup.js';
import { serve } from '../support/membership-fixture.js';
import { RawPeer } from '../support/raw-peer.js';

const use = useCleanup();

function readExactly(stream: Duplex, n: number, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => finish(new Error(`only ${got} of ${n} bytes arrived`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= n) finish();
    };
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    stream.on('data', onData);
  });
}

describe('raft streams on the membership port', () => {
  it('carries bytes both ways unchanged beside membership traffic', async () => {
    const cluster = use(await serve(), (c) => c.close());
    const client = use(new TcpChanger({ address: '127.0.0.1:7999' }), (c) => c.close());
    const accepted = cluster.server.accept();
    const dialed = use(await client.dial(cluster.address, 2_000), (s) => s.destroy());
    const served = use(await accepted, (s) => s.destroy());

    const up = randomBytes(1 << 20);
    const down = randomBytes(1 << 20);
    const joins = Promise.all(Array.from({ length: 20 }, (_, i) => client.join(`n${i}`, cluster.address, 5_000)));
    const atServer = readExactly(served, up.length);
    const atClient = readExactly(dialed, down.length);
    dialed.write(up);
    served.write(down);
    expect((await atServer).equals(up)).toBe(true);
    expect((await atClient).equals(down)).toBe(true);
    await joins;
    expect(cluster.raft.servers.size).toBe(20);
  });

  it('hands raft the bytes a peer sent right behind its hello', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    const peer = use(await RawPeer.connect(await server.listen()), (p) => p.close());
    const accepted = server.accept();
    peer.write(Buffer.concat([encodeHello(Channel.Raft), Buffer.from('raft bytes')]));
    const stream = use(await accepted, (s) => s.destroy());
    expect([...(await peer.read(2))]).toEqual([ReplyStatus.Accepted, 0]);
    expect((await readExactly(stream, 10)).toString()).toBe('raft bytes');
  });

  it('refuses raft streams past maxPendingStreams with busy', async () => {
    const server = use(new MembershipServer({ maxPendingStreams: 1 }), (s) => s.close());
    const address = await server.listen();
    const client = use(new TcpChanger({ address: '127.0.0.1:7999' }), (c) => c.close());
    use(await client.dial(address, 2_000), (s) => s.destroy());
    await expect(client.dial(address, 2_000)).rejects.toMatchObject({ reason: 'busy' });
    use(await server.accept(), (s) => s.destroy());
  });

  it('destroys streams nobody accepted when the server closes', async () => {
    const server = new MembershipServer();
    const address = await server.listen();
    const client = use(new TcpChanger({ address: '127.0.0.1:7999' }), (c) => c.close());
    const dialed = use(await client.dial(address, 2_000), (s) => s.destroy());
    const closed = new Promise((resolve) => dialed.once('close', resolve));
    dialed.resume();
    await server.close();
    await closed;
    await expect(server.accept()).rejects.toBeInstanceOf(ShuttingDownError);
  });

  it('bounds accept() by an AbortSignal', async () => {
    const server = use(new MembershipServer(), (s) => s.close());
    await server.listen();
    // As Node core's aborts: an AbortError of the library, the signal's reason as its cause.
    await expect(server.accept(AbortSignal.timeout(30))).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', message: 'accept() was aborted', cause: { name: 'TimeoutError' } });
    const reason = new Error('stop');
    await expect(server.accept(AbortSignal.abort(reason))).rejects.toMatchObject({ code: 'ABORT_ERR', cause: reason });
    await expect(server.accept('stop' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: 'signal must be an AbortSignal, got "stop" (string)' });
  });
});
