import type { Socket } from 'node:net';
import type { MembershipServer } from '../../src/index.js';

/** What {@link writeUntilStalled} managed. */
export interface FloodResult {
  /** Bytes handed to the socket (the kernel took all but `pending`). */
  readonly written: number;
  /** Bytes still waiting in the writer's own buffer. */
  readonly pending: number;
  /** True if a write waited `stallMs` without a drain: the far side stopped reading. */
  readonly stalled: boolean;
}

/**
 * Writes `block` again and again, `limit` bytes at most, honouring the
 * socket's own back-pressure: stops when a drain does not come within
 * `stallMs`. The writer never holds more than one block, so the memory a
 * test measures is the far side's.
 */
export async function writeUntilStalled(socket: Socket, block: Buffer, limit: number, stallMs = 500): Promise<FloodResult> {
  let written = 0;
  while (written < limit && !socket.destroyed) {
    written += block.length;
    if (socket.write(block)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(value);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      const timer = setTimeout(() => done(false), stallMs);
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
    if (!drained) return { written, pending: socket.writableLength, stalled: !socket.destroyed };
  }
  return { written, pending: socket.writableLength, stalled: false };
}

/** Answers every request at once with success, remembering nothing (so the heap measures the server). */
export async function answerEverything(server: MembershipServer): Promise<number> {
  let answered = 0;
  for await (const request of server.requests) {
    request.done(null, ++answered);
  }
  return answered;
}
