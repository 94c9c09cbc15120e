/**
 * The child's side of {@link TsChild} (test/support/child-process.ts): the
 * configuration it was started with, answers to the parent's requests, and
 * events of its own. A child exits as soon as its parent goes away, so none
 * outlives the run that started it.
 */

/** A request from the parent: an operation name, its sequence number and arguments. */
export interface ParentRequest {
  readonly op: string;
  readonly seq: number;
  readonly [key: string]: unknown;
}

/** Handlers by operation name; what one returns (or resolves to) is the answer. */
export type Handlers = Readonly<Record<string, (request: ParentRequest) => unknown>>;

/** The JSON configuration the parent passed as the first argument. */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('started without a configuration: run by TsChild.start');
  return JSON.parse(raw) as T;
}

/** Sends an event to the parent (dropped if the parent is gone). */
export function emit(event: string, fields: Readonly<Record<string, unknown>> = {}): void {
  if (process.connected) process.send?.({ ...fields, event });
}

/**
 * Answers the parent's requests with `handlers` and exits when the parent
 * disconnects (`onExit` runs first, bounded to 2 s).
 */
export function serveParent(handlers: Handlers, onExit?: () => unknown): void {
  if (!process.send) throw new Error('no IPC channel: run by TsChild.start');
  process.on('message', (request: ParentRequest) => {
    const handler = handlers[request.op];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown op ${request.op}`);
        const value = await handler(request);
        if (process.connected) process.send?.({ seq: request.seq, ok: true, value: value ?? null });
      } catch (err) {
        if (process.connected) process.send?.({ seq: request.seq, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
    })();
  });
  process.once('disconnect', () => {
    setTimeout(() => process.exit(0), 2_000).unref();
    void Promise.resolve(onExit?.()).finally(() => process.exit(0));
  });
}
