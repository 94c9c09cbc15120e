import { ChangeRequest } from '../membership/change-request.js';
import type { ChangeRequestKind } from '../membership/change-request-kind.js';
import type { ServerAddress, ServerID, ServerRole } from '../membership/types.js';
import type { Deadlined } from './request-deadlines.js';

/**
 * A join or leave as a connection received it: the {@link ChangeRequest}
 * the server's queue holds, with its request id, what to call when it is
 * done (its connection's answer), and its place among the queue's
 * {@link RequestDeadlines}. One object per request, where a request with a
 * closure and a waiter list for its answer, and a Map entry for its
 * deadline, made four; this is on every request's path.
 */
export class ClientRequest extends ChangeRequest implements Deadlined<ClientRequest> {
  /** @internal {@link RequestDeadlines}'s: when the deadline passes, -1 while none runs. */
  deadlineAt = -1;
  /** @internal {@link RequestDeadlines}'s links. */
  older: ClientRequest | undefined;
  newer: ClientRequest | undefined;
  readonly #answer: (request: ClientRequest) => void;

  constructor(
    /** The request id its client chose. */
    readonly rid: number,
    id: ServerID,
    address: ServerAddress,
    kind: ChangeRequestKind,
    role: ServerRole | undefined,
    answer: (request: ClientRequest) => void,
  ) {
    super(id, address, kind, role);
    this.#answer = answer;
  }

  override done(err?: Error | null, index?: number): void {
    super.done(err, index);
    this.#answer(this);
  }
}
