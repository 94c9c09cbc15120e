import type { ChangeRequest } from './change-request.js';
import type { Raft } from './raft.js';

/**
 * @internal The key of the method by which a source of change requests (the
 * server's `requests`) offers {@link handleChangeRequests} a direct feed
 * instead of its async iterator. Through it the source also learns the raft
 * that consumes it: a server then knows leadership and the configuration to
 * answer `members` requests without being told. Registered with
 * `Symbol.for`, so that two copies of the library still find each other.
 */
export const REQUEST_FEED: unique symbol = Symbol.for('raft-membership.requestFeed.v1');

/**
 * @internal A consumer's handle on a source of change requests, taken
 * synchronously while there are some: no promise per request.
 */
export interface RequestFeed {
  /** The next request to apply, or `undefined` when none is waiting. */
  take(): ChangeRequest | undefined;
  /** True once no request will come any more: the consumer stops. */
  readonly ended: boolean;
  /**
   * Calls `wake` once, when `take()` may have a request or the feed ended.
   * Only one wake is held: a second call replaces the first.
   */
  wait(wake: () => void): void;
  /**
   * Calls `ended` once when the feed ends, even while the consumer is busy
   * (with a raft call that may never settle) rather than waiting.
   */
  onEnd(ended: () => void): void;
  /** The consumer stops: the source no longer counts it. */
  detach(): void;
}

/** @internal A source of change requests that offers a {@link RequestFeed}. */
export interface FeedSource {
  [REQUEST_FEED](raft: Raft): RequestFeed;
}

/** @internal Whether `requests` offers a {@link RequestFeed}. */
export function isFeedSource(requests: object): requests is FeedSource {
  return typeof (requests as Partial<FeedSource>)[REQUEST_FEED] === 'function';
}
