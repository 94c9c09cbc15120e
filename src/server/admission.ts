import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { serverAccepted, serverRefusedConnection } from '../diagnostics.js';
import { ReplyStatus } from '../protocol/preamble.js';
import { ServerHandshake, refusal, type RefusedStep, type ServerStep } from '../protocol/server-handshake.js';
import { ConnectionLimits, type ConnectionCounts, type Inbound } from './connection-limits.js';
import { DeadlineQueue } from './deadline-queue.js';
import { LingeringRefusals } from './lingering-refusals.js';
import type { ResolvedServerOptions } from './server-options.js';

/** Connections refused for a limit are logged at most this often. */
const BUSY_WARNING_INTERVAL_MS = 1_000;

/** A preamble that accepted its connection. */
export type AcceptedStep = Extract<ServerStep, { kind: 'accepted' }>;

/** What {@link Admission} needs of its server. */
export interface AdmissionHost {
  readonly options: ResolvedServerOptions;
  /** True once the server is closing: new connections get `ShuttingDown`. */
  readonly closing: boolean;
  /** `socket` completed its preamble: serve its channel, or refuse it through {@link Admission.refuse}. */
  opened(socket: Socket, inbound: Inbound, step: AcceptedStep): void;
}

/**
 * From accept to the end of the preamble: counts every connection against
 * the limits the moment it is accepted (under TLS, before its handshake),
 * refuses it with `busy` past them, runs its preamble within the preamble
 * deadline (one timer for all connections, the TLS handshake included),
 * and refuses without piling up lingering sockets.
 */
export class Admission {
  readonly limits: ConnectionLimits;
  /** Raw sockets the server owns: in their TLS handshake or preamble, or membership connections. */
  readonly sockets = new Set<Socket>();
  readonly #host: AdmissionHost;
  readonly #refusals: LingeringRefusals;
  readonly #preambles: DeadlineQueue<Inbound>;
  /** TLS connections in their handshake, by remote `address|port`: the TLS socket comes later, from another event. */
  readonly #handshaking = new Map<string, Inbound>();
  #lastBusyWarning = Number.NEGATIVE_INFINITY;
  #busySinceWarning = 0;

  constructor(host: AdmissionHost) {
    this.#host = host;
    const { options } = host;
    this.limits = new ConnectionLimits(options);
    this.#refusals = new LingeringRefusals(options.maxLingeringRefusals);
    this.#preambles = new DeadlineQueue(options.preambleTimeoutMs, (inbound) => {
      options.logger.debug?.('connection dropped: no preamble in time', { timeoutMs: options.preambleTimeoutMs });
      inbound.raw.destroy();
    });
  }

  /** Every inbound connection, by stage. */
  counts(): ConnectionCounts {
    return this.limits.counts(this.#refusals.size);
  }

  /**
   * A TCP connection was accepted. Plain: its preamble starts now. Under
   * TLS (`tls`): it is counted now, and its preamble starts once its
   * handshake is done ({@link Admission.secured}).
   */
  accepted(raw: Socket, tls: boolean): void {
    const logger = this.#host.options.logger;
    raw.on('error', (err) => logger.debug?.('connection error', { error: err.message }));
    raw.setNoDelay(true);
    if (!tls) serverAccepted(raw);
    if (this.#host.closing) return this.#refuseAtAccept(raw, tls, refusal(ReplyStatus.ShuttingDown, 'server is shutting down'));
    const inbound = this.limits.admit(raw);
    if (typeof inbound === 'string') {
      this.#warnBusy(inbound, raw.remoteAddress);
      return this.#refuseAtAccept(raw, tls, refusal(ReplyStatus.Busy, inbound));
    }
    this.sockets.add(raw);
    const key = tls ? keyOf(raw) : '';
    // A deadline, not an idle timeout: a peer trickling a byte at a time
    // must not hold a connection slot past it.
    this.#preambles.add(inbound);
    raw.once('close', () => {
      this.sockets.delete(raw);
      this.#preambles.delete(inbound);
      this.limits.release(inbound);
      if (tls && this.#handshaking.get(key) === inbound) this.#handshaking.delete(key);
    });
    if (tls) this.#handshaking.set(key, inbound);
    else this.#runPreamble(raw, inbound);
  }

  /** A TLS connection completed its handshake: its preamble starts, within the deadline that started at accept. */
  secured(socket: TLSSocket): void {
    const key = keyOf(socket);
    const inbound = this.#handshaking.get(key);
    if (!inbound) {
      socket.destroy();
      return;
    }
    this.#handshaking.delete(key);
    socket.on('error', (err) => this.#host.options.logger.debug?.('connection error', { error: err.message }));
    serverAccepted(socket);
    this.#runPreamble(socket, inbound);
  }

  /** The server no longer owns `inbound`'s socket (a raft stream handed out); it stays counted until it closes. */
  handOff(inbound: Inbound): void {
    this.sockets.delete(inbound.raw);
  }

  /** Refuses a connection past its preamble with `busy` for `reason` (a limit it hit). */
  refuseBusy(socket: Socket, inbound: Inbound, reason: string): void {
    this.#warnBusy(reason, socket.remoteAddress);
    this.refuse(socket, inbound, refusal(ReplyStatus.Busy, reason));
  }

  /** Refuses a connection past its preamble with `step`'s reply: it counts no more, and lingers a bounded while. */
  refuse(socket: Socket, inbound: Inbound, step: RefusedStep): void {
    this.#host.options.logger.debug?.('preamble refused', { reason: step.reason });
    serverRefusedConnection(socket, step.send, step.reason);
    this.#preambles.delete(inbound);
    this.limits.release(inbound);
    this.sockets.delete(inbound.raw);
    this.#refusals.refuse(socket, step.send);
  }

  /** Closes what is not a connection yet (refusals lingering) and stops every timer. */
  close(): void {
    this.#refusals.destroyAll();
    this.#preambles.clear();
  }

  /**
   * A limit refused a connection: a warning, but at most one a second (with
   * how many were refused since), so that a flood of refusals does not
   * become a flood of log lines.
   */
  #warnBusy(reason: string, remote: string | undefined): void {
    this.#busySinceWarning += 1;
    const now = performance.now();
    if (now - this.#lastBusyWarning < BUSY_WARNING_INTERVAL_MS) return;
    this.#host.options.logger.warn?.(`connection refused: ${reason}`, { remote, refused: this.#busySinceWarning });
    this.#lastBusyWarning = now;
    this.#busySinceWarning = 0;
  }

  #refuseAtAccept(raw: Socket, tls: boolean, step: RefusedStep): void {
    // Under TLS nothing can be said before the handshake, and a handshake
    // is what a flood must not get: the peer sees a reset and retries.
    if (tls) {
      raw.destroy();
      return;
    }
    serverRefusedConnection(raw, step.send, step.reason);
    this.#refusals.refuse(raw, step.send);
  }

  #runPreamble(socket: Socket, inbound: Inbound): void {
    const { options } = this.#host;
    const handshake = new ServerHandshake({
      clusterName: options.clusterName,
      ...(options.secret ? { secret: options.secret } : {}),
    });
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        const step = handshake.push(chunk);
        if (step.kind === 'need-more') {
          if (step.send) socket.write(step.send);
          continue;
        }
        socket.off('readable', onReadable);
        this.#preambles.delete(inbound);
        if (step.kind === 'refused') return this.refuse(socket, inbound, step);
        return this.#host.opened(socket, inbound, step);
      }
    };
    socket.on('readable', onReadable);
  }
}

/** Names a connection the same from its raw and its TLS socket. */
function keyOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
