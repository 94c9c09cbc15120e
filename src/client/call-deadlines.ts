/**
 * What {@link CallDeadlines} keeps of each deadline: when it passes, what
 * to tell then, and its links in its lane. The links are the queue's: a
 * deadline object is in one queue at most.
 */
export interface QueuedDeadline {
  /** When it passes (performance.now()). */
  deadlineAt: number;
  /** Its lane while queued. */
  lane: Lane | undefined;
  prev: QueuedDeadline | undefined;
  next: QueuedDeadline | undefined;
  /** The deadline passed: it has left the queue already. */
  expire(): void;
}

/** Deadlines of one length, in the order they began, which is the order they pass. */
interface Lane {
  readonly timeoutMs: number;
  head: QueuedDeadline | undefined;
  tail: QueuedDeadline | undefined;
}

/**
 * The deadlines of a client's calls, with one timer for all of them: calls
 * with the same timeout end in the order they began, so each length is a
 * lane in that order, and only the earliest head needs the timer. Adding
 * and removing a deadline is a few field writes, where a timer per call
 * cost an object, a timer-list insertion and its removal. The timer keeps
 * the process alive while a deadline is queued (the client's sockets do
 * not), and not after: it is left armed, unref'd, and re-armed when it
 * fires for nothing.
 */
export class CallDeadlines {
  /** Lanes by length; an empty one is kept only while it is the only one. */
  readonly #lanes: Lane[] = [];
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  /** When the timer fires. */
  #timerAt = Number.POSITIVE_INFINITY;
  /** Set by stop(): the timer is cleared as soon as nothing waits. */
  #stopped = false;
  readonly #fire = (): void => this.#expire();

  /** Deadlines queued. */
  get size(): number {
    return this.#size;
  }

  /** Queues `deadline` to pass `timeoutMs` from now. */
  add(deadline: QueuedDeadline, timeoutMs: number): void {
    const now = performance.now();
    deadline.deadlineAt = now + timeoutMs;
    const lane = this.#lane(timeoutMs);
    deadline.lane = lane;
    deadline.next = undefined;
    deadline.prev = lane.tail;
    if (lane.tail) lane.tail.next = deadline;
    else lane.head = deadline;
    lane.tail = deadline;
    if (this.#size++ === 0) this.#timer?.ref();
    if (deadline.deadlineAt < this.#timerAt) this.#arm(deadline.deadlineAt, now);
  }

  /** Takes `deadline` out of the queue, if it is in it. */
  delete(deadline: QueuedDeadline): void {
    const lane = deadline.lane;
    if (!lane) return;
    const { prev, next } = deadline;
    if (prev) prev.next = next;
    else lane.head = next;
    if (next) next.prev = prev;
    else lane.tail = prev;
    // Unlinked for good: a dead entry that still pointed at live ones would
    // keep them from the young generation's collections.
    deadline.lane = deadline.prev = deadline.next = undefined;
    if (!lane.head && this.#lanes.length > 1) this.#lanes.splice(this.#lanes.indexOf(lane), 1);
    if (--this.#size === 0) {
      if (this.#stopped) this.#clear();
      else this.#timer?.unref();
    }
  }

  /** The deadlines queued now, for `close()`. */
  all(): QueuedDeadline[] {
    const all: QueuedDeadline[] = [];
    for (const lane of this.#lanes) for (let at = lane.head; at; at = at.next) all.push(at);
    return all;
  }

  /**
   * The client is closing: its calls, aborted, are on their way out. The
   * timer goes once the last deadline has left, rather than lingering unref'd.
   */
  stop(): void {
    this.#stopped = true;
    if (this.#size === 0) this.#clear();
  }

  #clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #lane(timeoutMs: number): Lane {
    const lanes = this.#lanes;
    for (let i = 0; i < lanes.length; i++) if (lanes[i]!.timeoutMs === timeoutMs) return lanes[i]!;
    const lane: Lane = { timeoutMs, head: undefined, tail: undefined };
    // The only lane, empty, is the last length used: it gives way to this one.
    if (lanes.length === 1 && !lanes[0]!.head) lanes[0] = lane;
    else lanes.push(lane);
    return lane;
  }

  #arm(at: number, now: number): void {
    clearTimeout(this.#timer);
    // Timers count whole milliseconds from the loop's clock: one more, so
    // that it never fires before `at` (if it does, it is armed again).
    this.#timer = setTimeout(this.#fire, Math.ceil(at - now) + 1);
    if (this.#size === 0) this.#timer.unref();
    this.#timerAt = at;
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const due: QueuedDeadline[] = [];
    for (const lane of this.#lanes) {
      for (let at = lane.head; at && at.deadlineAt <= now; at = at.next) due.push(at);
    }
    // What one tells may add deadlines, or delete some of these: one
    // deleted before its turn (or deleted and queued again) is not told.
    for (const deadline of due) {
      if (deadline.lane === undefined || deadline.deadlineAt > now) continue;
      this.delete(deadline);
      deadline.expire();
    }
    let next = Number.POSITIVE_INFINITY;
    for (const lane of this.#lanes) if (lane.head && lane.head.deadlineAt < next) next = lane.head.deadlineAt;
    if (next < this.#timerAt && Number.isFinite(next)) this.#arm(next, performance.now());
  }
}
