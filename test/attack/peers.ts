/**
 * What hostile peers are made of: sockets bound to a source address of
 * their own, the preamble done by hand, pools of connections kept full, and
 * writers that push as fast as the server lets them. Used by the attacker
 * processes only.
 */
import { connect, type Socket } from 'node:net';
import { parseAddress } from '../../src/index.js';
import { FrameDecoder, ReplyStatus, decodeResponse, encodeHello, parseReply, type Channel } from '../../src/protocol/index.js';
import type { AttackerContext, AttackerStats } from './attack.js';

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Adds `n` to counter `name`. */
export function count(stats: AttackerStats, name: string, n = 1): void {
  stats[name] = (stats[name] ?? 0) + n;
}

/** A TCP connection to `target` from `source`; rejects on error or after `timeoutMs`. */
export function connectFrom(target: string, source: string, timeoutMs = 5_000): Promise<Socket> {
  const { host, port } = parseAddress(target);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, localAddress: source, noDelay: true });
    const timer = setTimeout(() => fail(new Error(`connect to ${target} timed out`)), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

/**
 * Sends a hello for `channel` and reads the reply: the status byte
 * (`ReplyStatus.Accepted` when the channel is open), or -1 if the server
 * closed or did not answer within `timeoutMs`. The reply is consumed.
 */
export function preamble(socket: Socket, channel: Channel, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    const done = (status: number): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      resolve(status);
    };
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      const parsed = parseReply(got);
      if (!parsed) return;
      const rest = got.subarray(parsed.length);
      if (rest.length > 0) socket.unshift(rest);
      done(parsed.reply.status);
    };
    const onClose = (): void => done(-1);
    const timer = setTimeout(() => done(-1), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(encodeHello(channel));
  });
}

/**
 * Opens under way at once in this process. Thousands of connects at once
 * overflow the server's accept queue (511) and the kernel drops SYNs, the
 * legitimate client's too: that measures the kernel, not the server.
 */
const MAX_OPENING = 256;
let opening = 0;
const openers: (() => void)[] = [];

async function openSlot(): Promise<() => void> {
  while (opening >= MAX_OPENING) await new Promise<void>((resolve) => openers.push(resolve));
  opening += 1;
  return () => {
    opening -= 1;
    openers.shift()?.();
  };
}

/**
 * A connection past the preamble of `channel`, or undefined if the server
 * refused it (counted as `busy` or `refused`) or it failed (`failed`).
 */
export async function openChannel(target: string, source: string, channel: Channel, stats: AttackerStats): Promise<Socket | undefined> {
  const release = await openSlot();
  let socket: Socket;
  try {
    socket = await connectFrom(target, source);
  } catch {
    release();
    count(stats, 'failed');
    return undefined;
  }
  const status = await preamble(socket, channel);
  release();
  if (status === ReplyStatus.Accepted) {
    count(stats, 'opened');
    return socket;
  }
  count(stats, status === ReplyStatus.Busy ? 'busy' : 'refused');
  socket.destroy();
  return undefined;
}

/**
 * Keeps `size` connections open until `signal` aborts: each slot opens one
 * with `open`, hands it to `use`, and when the server closes it (or `open`
 * fails) opens another after `retryMs`. Destroys them all at the end.
 */
export async function keepOpen(
  size: number,
  open: (slot: number) => Promise<Socket | undefined>,
  signal: AbortSignal,
  options: { readonly retryMs?: number; readonly use?: (socket: Socket, slot: number) => void; readonly stats?: AttackerStats } = {},
): Promise<void> {
  const live = new Set<Socket>();
  const onAbort = (): void => {
    for (const socket of live) socket.destroy();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const slot = async (n: number): Promise<void> => {
    while (!signal.aborted) {
      const socket = await open(n);
      if (!socket) {
        await sleep(options.retryMs ?? 100, signal);
        continue;
      }
      if (signal.aborted) {
        socket.destroy();
        return;
      }
      live.add(socket);
      options.use?.(socket, n);
      await new Promise((resolve) => socket.once('close', resolve));
      live.delete(socket);
      if (options.stats) count(options.stats, 'closedByServer');
    }
  };
  await Promise.all(Array.from({ length: size }, (_, n) => slot(n)));
  signal.removeEventListener('abort', onAbort);
}

/**
 * Writes `next()` blocks to `socket` for as long as it takes them, waiting
 * for 'drain' whenever the server stops reading, until the socket closes or
 * `signal` aborts. Never reads: a peer that does not consume its answers.
 */
export async function pipeline(socket: Socket, next: () => Buffer, signal: AbortSignal, stats: AttackerStats): Promise<void> {
  socket.pause();
  while (!signal.aborted && !socket.destroyed) {
    const block = next();
    count(stats, 'bytesSent', block.length);
    if (socket.write(block)) {
      // Let the event loop breathe now and then, as a real writer would.
      if ((stats['bytesSent'] ?? 0) % (1 << 20) < block.length) await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      socket.once('drain', done);
      socket.once('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Keeps `size` connections past the preamble of `channel` open with
 * {@link keepOpen}: slot i from source i and to target i + `targetOffset`
 * (round-robin over each list).
 */
export function holdChannels(
  ctx: AttackerContext,
  size: number,
  channel: Channel,
  options: { readonly retryMs?: number; readonly use?: (socket: Socket, slot: number) => void; readonly targetOffset?: number } = {},
): Promise<void> {
  const open = (slot: number): Promise<Socket | undefined> =>
    openChannel(pick(ctx.targets, slot + (options.targetOffset ?? 0)), pick(ctx.sources, slot), channel, ctx.stats);
  return keepOpen(size, open, ctx.signal, { ...options, stats: ctx.stats });
}

/** The `i`-th of `n` items spread evenly over `list` (round-robin). */
export function pick<T>(list: readonly T[], i: number): T {
  const item = list[i % list.length];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/**
 * Sends `requests` (whole frames) on a membership connection at once and
 * reads the answers: resolves to how many were `ok`, once all are in, the
 * socket closes or `signal` aborts.
 */
export function sendAndRead(socket: Socket, requests: readonly Buffer[], signal: AbortSignal): Promise<{ readonly ok: number; readonly failed: number }> {
  return new Promise((resolve) => {
    const decoder = new FrameDecoder();
    let ok = 0;
    let failed = 0;
    const done = (): void => {
      socket.off('data', onData);
      socket.off('close', done);
      signal.removeEventListener('abort', done);
      resolve({ ok, failed });
    };
    const onData = (chunk: Buffer): void => {
      try {
        decoder.push(chunk, (payload) => {
          if (decodeResponse(payload).ok) ok += 1;
          else failed += 1;
        });
      } catch {
        socket.destroy();
      }
      if (ok + failed >= requests.length) done();
    };
    socket.on('data', onData);
    socket.once('close', done);
    signal.addEventListener('abort', done, { once: true });
    socket.resume();
    socket.write(Buffer.concat(requests));
  });
}
