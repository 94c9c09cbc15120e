import { kindName } from '../membership/change-request-kind.js';
import { ChangeRequest } from '../membership/change-request.js';
import { MembershipTimeoutError, ShuttingDownError } from '../membership/errors.js';
import type { LogWriter } from '../membership/logger.js';
import type { Raft } from '../membership/raft.js';
import { REQUEST_FEED, type FeedSource, type RequestFeed } from '../membership/request-feed.js';
import type { ServerID } from '../membership/types.js';
import type { ClientRequest } from './client-request.js';
import { PeerLanes } from './peer-lanes.js';
import { RequestDeadlines } from './request-deadlines.js';

/** What a request that nobody took in time says, on the wire and in the log. */
export const NO_CONSUMER_HINT = 'nothing consumes server.requests: call handleChangeRequests(raft, server.requests)';

/**
 * One change to make, and the clients' requests waiting for its outcome.
 * The consumer is handed the change itself, a request of the queue's own:
 * one client giving up (timing out, disconnecting) leaves it to the others.
 * One object per change, with no closure or array for the usual single
 * waiter: this is on every request's path.
 */
class QueuedChange extends ChangeRequest {
  /** The first client waiting, then any others: nearly always one. */
  #first: ClientRequest | undefined;
  #more: ClientRequest[] | undefined;
  /** Handed to the consumer: raft may be making it. */
  taken = false;
  readonly #onDone: (change: QueuedChange) => void;

  constructor(request: ClientRequest, onDone: (change: QueuedChange) => void) {
    super(request.id, request.address, request.kind, request.role);
    this.#onDone = onDone;
    this.add(request);
  }

  override done(err?: Error | null, index?: number): void {
    super.done(err, index);
    this.#onDone(this);
  }

  get waiting(): boolean {
    return this.#first !== undefined;
  }

  add(request: ClientRequest): void {
    ChangeRequest.setSlot(request, this);
    if (this.#first === undefined) this.#first = request;
    else (this.#more ??= []).push(request);
  }

  remove(request: ClientRequest): void {
    ChangeRequest.setSlot(request, undefined);
    if (this.#first === request) {
      this.#first = this.#more?.shift();
      return;
    }
    const at = this.#more?.indexOf(request) ?? -1;
    if (at >= 0) this.#more!.splice(at, 1);
  }

  /** Every client waiting, who then waits no more. */
  takeWaiters(): ClientRequest[] {
    const first = this.#first;
    if (first === undefined) return [];
    const all = this.#more === undefined ? [first] : [first, ...this.#more];
    this.#first = undefined;
    this.#more = undefined;
    for (const request of all) ChangeRequest.setSlot(request, undefined);
    return all;
  }

  /** Tells the waiting clients the outcome, without an array for a single one. */
  answerWaiters(err: Error | null, index: number | undefined): void {
    const first = this.#first;
    if (first === undefined) return;
    const more = this.#more;
    this.#first = undefined;
    this.#more = undefined;
    // Each leaves the change before it is done, so that settle() finds nothing to undo.
    ChangeRequest.setSlot(first, undefined);
    if (more !== undefined) for (const request of more) ChangeRequest.setSlot(request, undefined);
    if (!first.isDone) first.done(err, index);
    if (more !== undefined) for (const request of more) if (!request.isDone) request.done(err, index);
  }
}

/** The change a client's request waits on, kept in the request's slot: no map lookup per request. */
function changeOf(request: ClientRequest): QueuedChange | undefined {
  return ChangeRequest.slot(request) as QueuedChange | undefined;
}

/** What the queue needs of its server. */
export interface ChangeQueueOptions {
  /** Each client's request is answered `timeout` this long after it arrived. */
  readonly requestTimeoutMs: number;
  readonly logger: LogWriter;
  /** A consumer said which raft it applies the changes to. */
  readonly onRaft: (raft: Raft) => void;
}

type NextResult = (result: IteratorResult<ChangeRequest>) => void;

/**
 * The server's `requests`: the changes its connections received, in order,
 * one entry per distinct change. A request identical to the latest change
 * queued or in flight for the same server id (same kind, address and role)
 * waits for that change's outcome instead of queuing another copy, so that
 * a client's retry behind a slow change costs raft nothing. Taken through
 * the {@link RequestFeed} that `handleChangeRequests` asks for, or by
 * async iteration.
 */
export class ChangeQueue implements AsyncIterable<ChangeRequest>, FeedSource {
  readonly #options: ChangeQueueOptions;
  readonly #deadlines: RequestDeadlines<ClientRequest>;
  /** Changes not begun, taken one peer at a time: a peer flooding changes delays another's by one of its own. */
  readonly #waiting = new PeerLanes<QueuedChange>();
  /** The latest change queued or in flight per server id: the only one a new request may join. */
  readonly #latest = new Map<ServerID, QueuedChange>();
  readonly #working = new Set<QueuedChange>();
  #wakes: (() => void)[] = [];
  /** What each feed's consumer asked to be called with when the queue ends. */
  readonly #endListeners = new Set<() => void>();
  #nexts: NextResult[] = [];
  #consumers = 0;
  /** Set once a request found no consumer, and warned of it; cleared when one attaches. */
  #warnedNoConsumer = false;
  #closing = false;
  #ended = false;
  #drained: (() => void) | undefined;

  constructor(options: ChangeQueueOptions) {
    this.#options = options;
    this.#deadlines = new RequestDeadlines<ClientRequest>(options.requestTimeoutMs, (request) => this.#expire(request));
  }

  /**
   * A client's request arrived from `peer` (its remote address, by
   * `peerOf`): its deadline starts (at `now`, read once for the requests
   * handled together), and it joins or makes a change.
   */
  submit(request: ClientRequest, peer: string, now: number): void {
    this.#deadlines.add(request, now);
    if (this.#closing) return request.done(new ShuttingDownError('server is shutting down'));
    const latest = this.#latest.get(request.id);
    if (latest !== undefined && !latest.isDone && sameChange(latest, request)) return latest.add(request);
    const change = new QueuedChange(request, this.#finish);
    this.#latest.set(request.id, change);
    this.#waiting.push(peer, change);
    this.#notify();
    if (this.#consumers === 0 && !this.#warnedNoConsumer) {
      // Said at once, not only when it times out: a client's own deadline is often the shorter.
      this.#warnedNoConsumer = true;
      this.#options.logger.warn?.(`change request waiting: ${NO_CONSUMER_HINT}`, { id: request.id, kind: kindName(request.kind), timeoutMs: this.#options.requestTimeoutMs });
    }
  }

  /**
   * A client's request was answered, or its client is gone: it waits no
   * more. A change nobody waits for any more is dropped unless raft has it.
   */
  settle(request: ClientRequest): void {
    this.#deadlines.delete(request);
    const change = changeOf(request);
    if (change === undefined) return;
    change.remove(request);
    if (change.waiting) return;
    if (!change.taken && !change.isDone) change.done(new ShuttingDownError('every client of this change gave up before it was begun'));
    this.#checkDrained();
  }

  /**
   * The server closes. Changes not begun are answered `shutting_down` (they
   * were not made, and will not be); changes raft is making get up to
   * `graceMs` to finish, and are then answered `timeout` (outcome unknown).
   * Then the queue ends, so its consumer returns.
   */
  async close(graceMs: number): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const change of this.#waiting.drain()) {
      if (!change.isDone) change.done(new ShuttingDownError('server closed before the change was begun'));
    }
    if (this.#someoneWaitsOnRaft()) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#drained = resolve;
        timer = setTimeout(resolve, graceMs);
      });
      clearTimeout(timer);
      this.#drained = undefined;
    }
    for (const change of this.#working) {
      for (const waiter of change.takeWaiters()) {
        if (!waiter.isDone) waiter.done(new MembershipTimeoutError(`server closed while raft was still making the ${describe(waiter)}; its outcome is unknown`));
      }
    }
    this.#deadlines.clear();
    this.#end();
  }

  /** @internal The direct feed `handleChangeRequests` takes requests from. */
  [REQUEST_FEED](raft: Raft): RequestFeed {
    this.#options.onRaft(raft);
    const detach = this.#attach();
    /** The consumer's wake while it waits; the trigger in #wakes calls it once. */
    let pending: (() => void) | undefined;
    let onEnd: (() => void) | undefined;
    const trigger = (): void => {
      const wake = pending;
      pending = undefined;
      wake?.();
    };
    const queue = this;
    return {
      take: () => this.#take(),
      get ended() {
        return queue.#ended;
      },
      wait: (wake) => {
        if (this.#ended || this.#waiting.size > 0) return wake();
        if (pending === undefined) this.#wakes.push(trigger);
        pending = wake;
      },
      onEnd: (ended) => {
        if (this.#ended) return ended();
        onEnd = ended;
        this.#endListeners.add(ended);
      },
      detach: () => {
        pending = undefined;
        if (onEnd !== undefined) this.#endListeners.delete(onEnd);
        detach();
      },
    };
  }

  /** Requests in order, for a consumer of its own (`for await`). */
  [Symbol.asyncIterator](): AsyncIterator<ChangeRequest> {
    const detach = this.#attach();
    return {
      next: () => {
        const request = this.#take();
        if (request !== undefined) return Promise.resolve({ done: false, value: request });
        if (this.#ended) {
          detach();
          return Promise.resolve({ done: true, value: undefined });
        }
        return new Promise<IteratorResult<ChangeRequest>>((resolve) => this.#nexts.push(resolve));
      },
      return: () => {
        detach();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }

  /** Counts a consumer until the returned function is called. */
  #attach(): () => void {
    this.#consumers += 1;
    this.#warnedNoConsumer = false;
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      this.#consumers -= 1;
    };
  }

  #take(): ChangeRequest | undefined {
    for (;;) {
      const change = this.#waiting.shift();
      if (change === undefined) return undefined;
      // Every client gave up while it was queued: raft never hears of it.
      if (change.isDone) continue;
      change.taken = true;
      this.#working.add(change);
      return change;
    }
  }

  /** Hands what is waiting to consumers waiting for it. */
  #notify(): void {
    while (this.#nexts.length > 0) {
      const request = this.#take();
      if (request === undefined) break;
      this.#nexts.shift()!({ done: false, value: request });
    }
    if (this.#wakes.length === 0 || this.#waiting.size === 0) return;
    const wakes = this.#wakes;
    this.#wakes = [];
    for (const wake of wakes) wake();
  }

  #end(): void {
    this.#ended = true;
    for (const resolve of this.#nexts.splice(0)) resolve({ done: true, value: undefined });
    const wakes = this.#wakes;
    this.#wakes = [];
    for (const wake of wakes) wake();
    for (const ended of this.#endListeners) ended();
    this.#endListeners.clear();
  }

  /** The consumer (or a client giving up) finished a change: everyone waiting on it learns the outcome. */
  readonly #finish = (change: QueuedChange): void => {
    this.#working.delete(change);
    if (this.#latest.get(change.id) === change) this.#latest.delete(change.id);
    change.answerWaiters(ChangeRequest.outcome(change), change.index);
    this.#checkDrained();
  };

  #expire(request: ClientRequest): void {
    if (request.isDone) return;
    const change = changeOf(request);
    const late = `${describe(request)} not done within ${this.#options.requestTimeoutMs} ms`;
    let why: string;
    if (change === undefined || change.taken) {
      why = 'raft was still making it; its outcome is unknown';
    } else if (this.#consumers === 0) {
      why = NO_CONSUMER_HINT;
      this.#options.logger.warn?.(`request timed out: ${NO_CONSUMER_HINT}`, { id: request.id, kind: kindName(request.kind) });
    } else {
      why = 'not begun: the consumer of server.requests was still making earlier changes';
    }
    request.done(new MembershipTimeoutError(`${late}: ${why}`));
  }

  #someoneWaitsOnRaft(): boolean {
    for (const change of this.#working) if (change.waiting) return true;
    return false;
  }

  #checkDrained(): void {
    if (this.#drained !== undefined && !this.#someoneWaitsOnRaft()) this.#drained();
  }
}

/** The same change: a request that would leave the configuration the same. */
function sameChange(a: ChangeRequest, b: ChangeRequest): boolean {
  return a.kind === b.kind && a.id === b.id && a.address === b.address && a.role === b.role;
}

function describe(request: ChangeRequest): string {
  return `${kindName(request.kind)} of ${request.id}`;
}
