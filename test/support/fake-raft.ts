import {
  NotLeaderError,
  type ConfigurationServer,
  type Raft,
  type RaftState,
  type ServerAddress,
  type ServerID,
} from '../../src/index.js';

/**
 * An in-memory stand-in for a raft instance, for the transport-free core and
 * for servers whose requests need an answer but no consensus. Changes apply
 * at once; `calls` records what was asked.
 */
export class FakeRaft implements Raft {
  currentState: RaftState = 'leader';
  leaderAddress: ServerAddress = '';
  readonly servers = new Map<ServerID, ConfigurationServer>();
  readonly calls: string[] = [];
  index = 1;
  /** When set, the next change throws it instead of applying. */
  failNext: Error | undefined;
  /** When set, changes wait on it before applying. */
  gate: Promise<void> | undefined;
  addNonvoter?: Raft['addNonvoter'];

  /** `nonvoters: true` gives it `addNonvoter`, which plain FakeRafts lack. */
  constructor(options: { nonvoters?: boolean } = {}) {
    if (options.nonvoters) {
      this.addNonvoter = (id, address, prevIndex, timeoutMs) => {
        this.calls.push(`addNonvoter ${id} ${address} ${prevIndex} ${timeoutMs}`);
        return this.#change(() => this.#put({ id, address, role: 'nonvoter' }));
      };
    }
  }

  state(): RaftState {
    return this.currentState;
  }

  leader(): ServerAddress {
    return this.leaderAddress;
  }

  addVoter(id: ServerID, address: ServerAddress, prevIndex: number, timeoutMs: number): Promise<number> {
    this.calls.push(`addVoter ${id} ${address} ${prevIndex} ${timeoutMs}`);
    return this.#change(() => this.#put({ id, address, role: 'voter' }));
  }

  removeServer(id: ServerID, prevIndex: number, timeoutMs: number): Promise<number> {
    this.calls.push(`removeServer ${id} ${prevIndex} ${timeoutMs}`);
    return this.#change(() => this.servers.delete(id));
  }

  configuration(): ConfigurationServer[] {
    return [...this.servers.values()];
  }

  #put(server: ConfigurationServer): boolean {
    const known = this.servers.get(server.id);
    if (known && known.address === server.address && known.role === server.role) return false;
    this.servers.set(server.id, server);
    return true;
  }

  async #change(apply: () => boolean): Promise<number> {
    if (this.gate) await this.gate;
    if (this.currentState !== 'leader') throw new NotLeaderError();
    const failure = this.failNext;
    if (failure) {
      this.failNext = undefined;
      throw failure;
    }
    // Like hashicorp/raft, a no-op change still reports the current index.
    if (apply()) this.index += 1;
    return this.index;
  }
}

/** An async iterable fed by hand: `push` requests, then `end()`. */
export class RequestQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }
}
