/**
 * Fault proxies between the real servers of an E2ECluster, and in front of
 * each for its clients.
 *
 * - Each member advertises an *inbound* proxy in front of its real port: it
 *   is the address clients, seeds and redirects use.
 * - Each raft stream member A opens to member B goes through a proxy of its
 *   own pair, `A>B`, straight to B's real port.
 *
 * So the network between servers (the pairs) and the one between clients
 * and a server (its inbound proxy) fault independently, and isolating a
 * server reaches every link it accepted and every link it dialed.
 */
import type { ServerAddress, ServerID } from '../../../src/index.js';
import type { MemberHooks } from '../../e2e/support/e2e-cluster.js';
import { FaultProxy, type LinkMode, type ProxyLink } from '../../support/fault-proxy.js';

/** How an isolated server's links behave: bytes held (`drop`) or swallowed (`black-hole`). */
export type IsolationMode = Exclude<LinkMode, 'pass'>;

function apply(link: ProxyLink, mode: LinkMode): void {
  if (mode === 'drop') link.drop();
  else if (mode === 'black-hole') link.blackHole();
  else link.heal();
}

export class ClusterNetwork {
  /** Each member's inbound proxy, for its clients. */
  readonly #inbound = new Map<ServerID, FaultProxy>();
  /** Advertised address → member id. */
  readonly #byAddress = new Map<ServerAddress, ServerID>();
  /** Member id → the address it really listens on. */
  readonly #listening = new Map<ServerID, ServerAddress>();
  /** `from>to` → the proxy on that pair's raft streams. */
  readonly #pairs = new Map<string, { from: ServerID; to: ServerID; proxy: Promise<FaultProxy> }>();
  /** Servers cut off from the others, and how. */
  readonly #isolated = new Map<ServerID, IsolationMode>();
  /** Servers cut off from their clients, and how. */
  readonly #unreachable = new Map<ServerID, IsolationMode>();
  #closed = false;

  /** Options for each member: advertise its inbound proxy, route its raft dials through the pair proxies. */
  readonly hooks: MemberHooks = (id) => ({
    advertise: (listening) => this.#advertise(id, listening),
    route: (target) => this.#route(id, target),
  });

  /** The inbound proxy in front of `id`. */
  inbound(id: ServerID): FaultProxy {
    const proxy = this.#inbound.get(id);
    if (!proxy) throw new Error(`no inbound proxy for ${id}`);
    return proxy;
  }

  /** The pair proxies (opened so far) that carry streams `id` dialed, or, with `inbound`, streams dialed to it. */
  async pairs(filter: { from?: ServerID; to?: ServerID }): Promise<FaultProxy[]> {
    const pairs = [...this.#pairs.values()].filter((p) => (filter.from === undefined || p.from === filter.from) && (filter.to === undefined || p.to === filter.to));
    return Promise.all(pairs.map((p) => p.proxy));
  }

  /**
   * Cuts `id` off from the other servers: every raft link it dialed or
   * accepted, open or to come, holds (`drop`) or swallows (`black-hole`)
   * its bytes. With `clients`, its inbound proxy does the same.
   */
  async isolate(id: ServerID, mode: IsolationMode, options: { clients?: boolean } = {}): Promise<void> {
    this.#isolated.set(id, mode);
    if (options.clients) this.#unreachable.set(id, mode);
    await this.#refresh();
  }

  /** Ends `isolate(id)`: its links forward again (held bytes flow; swallowed ones are gone). */
  async heal(id: ServerID): Promise<void> {
    this.#isolated.delete(id);
    this.#unreachable.delete(id);
    await this.#refresh();
  }

  /** Cuts every raft link `id` dialed (they are redialed on the next RPC). */
  async cutDialedBy(id: ServerID): Promise<number> {
    let cut = 0;
    for (const proxy of await this.pairs({ from: id })) {
      cut += proxy.links.length;
      proxy.cutAll();
    }
    return cut;
  }

  /** Closes every proxy; dials after this go straight to the target. */
  async close(): Promise<void> {
    this.#closed = true;
    const pairs = await Promise.all([...this.#pairs.values()].map((p) => p.proxy));
    await Promise.all([...pairs, ...this.#inbound.values()].map((proxy) => proxy.close()));
  }

  /** Applies the isolation state to every proxy and its open links. */
  async #refresh(): Promise<void> {
    for (const [id, proxy] of this.#inbound) this.#set(proxy, this.#unreachable.get(id));
    for (const pair of this.#pairs.values()) this.#set(await pair.proxy, this.#pairMode(pair.from, pair.to));
  }

  #pairMode(from: ServerID, to: ServerID): IsolationMode | undefined {
    return this.#isolated.get(from) ?? this.#isolated.get(to);
  }

  #set(proxy: FaultProxy, mode: IsolationMode | undefined): void {
    proxy.setFaults(mode ? { mode } : {});
    for (const link of proxy.links) apply(link, mode ?? 'pass');
  }

  async #advertise(id: ServerID, listening: ServerAddress): Promise<ServerAddress> {
    this.#listening.set(id, listening);
    let proxy = this.#inbound.get(id);
    // A restart on the same port keeps its proxy, hence its address.
    if (!proxy || proxy.target !== listening) {
      await proxy?.close();
      proxy = await FaultProxy.start(listening);
      this.#inbound.set(id, proxy);
      const mode = this.#unreachable.get(id);
      if (mode) proxy.setFaults({ mode });
    }
    this.#byAddress.set(proxy.address, id);
    return proxy.address;
  }

  #route(from: ServerID, target: ServerAddress): ServerAddress | Promise<ServerAddress> {
    const to = this.#byAddress.get(target);
    const listening = to === undefined ? undefined : this.#listening.get(to);
    if (this.#closed || to === undefined || listening === undefined) return target;
    const key = `${from}>${target}`;
    let pair = this.#pairs.get(key);
    if (!pair) {
      const proxy = FaultProxy.start(listening).then((started) => {
        const mode = this.#pairMode(from, to);
        if (mode) started.setFaults({ mode });
        return started;
      });
      pair = { from, to, proxy };
      this.#pairs.set(key, pair);
    }
    return pair.proxy.then((proxy) => proxy.address);
  }
}
