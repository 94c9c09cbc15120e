import { ChangeRequestKind } from './change-request-kind.js';
import { parseAddress } from './address.js';
import { AbortError, MembershipTimeoutError, RequestAlreadyDoneError } from './errors.js';
import { DAY_MS, checkOptionKeys, invalidOption, optionsObject } from './option-checks.js';
import { ServerRole, isServerRole, type ServerAddress, type ServerID } from './types.js';

/** Options of {@link newJoinRequest}. */
export interface JoinRequestOptions {
  /** How the server joins. @default 'voter' */
  readonly role?: ServerRole;
}

type Waiter = () => void;

/**
 * A request to change one server's membership, join or leave (Go:
 * `ChangeRequest`). The transport creates it, whoever handles it (usually
 * {@link handleChangeRequests}) calls `done()` once, and the transport
 * awaits `error()` to answer its peer.
 */
export class ChangeRequest {
  #done = false;
  #error: Error | null = null;
  #index: number | undefined;
  #waiters: Waiter[] | undefined;
  /** What a transport keeps with the request: see {@link ChangeRequest.slot}. */
  #slot: unknown;

  /** @internal Use {@link newJoinRequest} or {@link newLeaveRequest}. */
  constructor(
    /** The id of the server whose membership changes. */
    readonly id: ServerID,
    /** The address of the joining server; `''` for a leave. */
    readonly address: ServerAddress,
    /** Join or leave. */
    readonly kind: ChangeRequestKind,
    /** The role a joining server asks for; `'voter'` for a leave. */
    readonly role: ServerRole = ServerRole.Voter,
  ) {}

  /** True once `done()` was called. */
  get isDone(): boolean {
    return this.#done;
  }

  /**
   * The log index of the configuration that holds the change, when the
   * handler reported one.
   */
  get index(): number | undefined {
    return this.#index;
  }

  /**
   * Records the outcome: `null`/`undefined` for success, an error otherwise;
   * `index` is the committed configuration's log index when known. The first
   * outcome stands: a second call throws {@link RequestAlreadyDoneError}.
   * Throws `InvalidOptionError` for an `err` that is not an Error or an
   * `index` that is not a non-negative integer.
   */
  done(err?: Error | null, index?: number): void {
    if (this.#done) throw new RequestAlreadyDoneError();
    if (err !== undefined && err !== null && !(err instanceof Error)) throw invalidOption('err', 'an Error, or null for success', err);
    if (index !== undefined && !(Number.isSafeInteger(index) && index >= 0)) throw invalidOption('index', 'a log index (an integer from 0), or undefined', index);
    this.#done = true;
    this.#error = err ?? null;
    this.#index = index;
    const waiters = this.#waiters;
    this.#waiters = undefined;
    if (waiters) for (const wake of waiters) wake();
  }

  /**
   * Waits until the request is done, at most `timeoutMs` milliseconds (and
   * no longer than `signal` allows). Resolves to `null` on success, to the
   * handler's error on failure, or to a {@link MembershipTimeoutError} when
   * time ran out first; the request then stays pending and a later call can
   * still see its outcome. On abort it rejects with an {@link AbortError}
   * (code `ABORT_ERR`) whose `cause` is `signal.reason`, as Node core's
   * aborts do; the request stays pending. `timeoutMs` 0 asks whether it is
   * done now; it is at most a day.
   */
  error(timeoutMs: number, signal?: AbortSignal): Promise<Error | null> {
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0 && timeoutMs <= DAY_MS)) {
      return Promise.reject(invalidOption('timeoutMs', `a number of milliseconds from 0 to ${DAY_MS}`, timeoutMs));
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(invalidOption('signal', 'an AbortSignal', signal));
    if (this.#done) return Promise.resolve(this.#error);
    if (signal?.aborted) return Promise.reject(this.#aborted(signal));
    return new Promise<Error | null>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#removeWaiter(wake);
      };
      const wake = (): void => {
        settle();
        resolve(this.#error);
      };
      const onAbort = (): void => {
        settle();
        reject(this.#aborted(signal!));
      };
      const timer = setTimeout(() => {
        settle();
        resolve(new MembershipTimeoutError(`${this.#describe()} not done within ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#addWaiter(wake);
    });
  }

  #aborted(signal: AbortSignal): AbortError {
    return new AbortError(`waiting for the ${this.#describe()} was aborted`, { cause: signal.reason });
  }

  #describe(): string {
    return this.kind === ChangeRequestKind.Join ? `join of ${this.id}` : `leave of ${this.id}`;
  }

  #addWaiter(wake: Waiter): void {
    (this.#waiters ??= []).push(wake);
  }

  #removeWaiter(wake: Waiter): void {
    const waiters = this.#waiters;
    if (!waiters) return;
    const at = waiters.indexOf(wake);
    if (at >= 0) waiters.splice(at, 1);
  }

  /**
   * @internal A transport's own value kept with the request (the server
   * queue's entry for it), read and written without a map lookup per
   * request; not part of the public API.
   */
  static slot(request: ChangeRequest): unknown {
    return request.#slot;
  }

  /** @internal Sets what {@link ChangeRequest.slot} returns. */
  static setSlot(request: ChangeRequest, value: unknown): void {
    request.#slot = value;
  }

  /** @internal The recorded error, `null` on success or while pending. */
  static outcome(request: ChangeRequest): Error | null {
    return request.#error;
  }
}

/**
 * A request for server `id` at `address` to join the cluster (Go:
 * `NewJoinRequest`). Throws `InvalidOptionError` (or `InvalidAddressError`)
 * for an argument that is not what it should be.
 */
export function newJoinRequest(id: ServerID, address: ServerAddress, options?: JoinRequestOptions): ChangeRequest {
  checkId(id);
  parseAddress(address);
  const { role = ServerRole.Voter } = resolveJoinRequestOptions(options);
  return new ChangeRequest(id, address, ChangeRequestKind.Join, role);
}

function resolveJoinRequestOptions(given: JoinRequestOptions | undefined): Required<JoinRequestOptions> {
  const options: JoinRequestOptions = optionsObject('the options of newJoinRequest', given);
  checkOptionKeys('the options of newJoinRequest', options, resolveJoinRequestOptions);
  const role = options.role ?? ServerRole.Voter;
  if (!isServerRole(role)) throw invalidOption('role', '"voter" or "nonvoter"', role);
  return { role };
}

/** A request for server `id` to leave the cluster (Go: `NewLeaveRequest`). Throws `InvalidOptionError` for an id that is not a non-empty string. */
export function newLeaveRequest(id: ServerID): ChangeRequest {
  checkId(id);
  return new ChangeRequest(id, '', ChangeRequestKind.Leave);
}

function checkId(id: unknown): void {
  if (typeof id !== 'string' || id === '') throw invalidOption('id', 'a non-empty string', id);
}
