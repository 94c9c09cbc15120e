import { MembershipError, UnsupportedRequestError } from '../membership/errors.js';
import type { LogWriter } from '../membership/logger.js';
import type { ConfigurationServer } from '../membership/raft.js';
import { readConfiguration, type ClusterConfiguration, type ConfigurationSource } from '../membership/read-configuration.js';
import { EncodedConfiguration } from '../protocol/members-page.js';
import { checkConfigurationServers, encodeResponse, type ErrorResponse, type SuccessResponse } from '../protocol/messages.js';
import { toWireError } from '../protocol/wire-errors.js';

/** The answer to one `members` request: the frame to write, and what it says for diagnostics. */
export interface MembersAnswer {
  /** One frame, in parts to write in order (a page's servers are shared, not copied). */
  readonly parts: readonly Buffer[];
  readonly response: SuccessResponse | ErrorResponse;
}

/** The configuration last encoded, and what it was encoded from. */
interface Encoded {
  readonly index: number | undefined;
  /** The servers' fields when encoded: a raft may hand out the same objects, changed since. */
  readonly servers: readonly ConfigurationServer[];
  readonly encoded: EncodedConfiguration;
}

/**
 * Answers `members` requests: reads the configuration from the raft
 * (bounded, leader only) and cuts the requested page out of an encoding
 * made once per configuration: once per log index when raft reports one,
 * otherwise whenever a server differs from the last encoding's. Encoding a
 * 1,000-server configuration costs ~0.2 ms; a page is a small head and
 * tail around a view of it.
 */
export class MembersAnswers {
  readonly #timeoutMs: number;
  readonly #logger: LogWriter;
  #last: Encoded | undefined;

  constructor(timeoutMs: number, logger: LogWriter) {
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
  }

  /** The answer to request `rid` for the page at `offset`; never rejects, never hangs past the timeout. */
  async answer(source: ConfigurationSource | undefined, rid: number, offset: number): Promise<MembersAnswer> {
    try {
      if (source === undefined) {
        throw new UnsupportedRequestError('this server does not serve its configuration: no raft consumes its requests');
      }
      const encoded = this.#encode(await readConfiguration(source, this.#timeoutMs));
      const response: SuccessResponse = encoded.index === undefined ? { rid, ok: true } : { rid, ok: true, index: encoded.index };
      return { parts: encoded.page(rid, offset).parts, response };
    } catch (err) {
      // Unclassified errors go out as `internal` without their text: keep it here.
      if (!(err instanceof MembershipError)) this.#logger.error?.('reading the configuration failed', { error: (err as Error)?.message });
      const response: ErrorResponse = { rid, ok: false, ...toWireError(err instanceof Error ? err : new Error(String(err))) };
      return { parts: [encodeResponse(response)], response };
    }
  }

  #encode(configuration: ClusterConfiguration): EncodedConfiguration {
    const { index, members } = configuration;
    const last = this.#last;
    if (last !== undefined && last.index === index && (index !== undefined ? last.servers.length === members.length : sameServers(last.servers, members))) {
      return last.encoded;
    }
    const servers = members.map(({ id, address, role }) => ({ id, address, role }));
    // Once per encoding: a raft handing out an entry a dialer cannot decode
    // (an empty id, an address without a port) gets `internal`, logged, not
    // an answer that makes every dialer close the connection and retry.
    checkConfigurationServers(servers);
    const encoded = new EncodedConfiguration(servers, index);
    this.#last = { index, servers, encoded };
    return encoded;
  }
}

function sameServers(a: readonly ConfigurationServer[], b: readonly ConfigurationServer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.id !== y.id || x.address !== y.address || x.role !== y.role) return false;
  }
  return true;
}
