import type { TlsOptions } from 'node:tls';
import type { ServerAddress } from '../../membership/types.js';
import { skip, type Verdict } from '../case.js';
import type { CheckedRequest } from '../response-check.js';
import { describeRun, runDialer, type DialerFunction, type DialerInvocation, type DialerRun } from './dialer.js';
import { ScriptListener, type ScriptConnection, type Script } from './script-server.js';

/** What the client cases need of the run. */
export interface ClientSettings {
  readonly dialer: readonly string[] | DialerFunction;
  readonly host: string;
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly waitMs: number;
  readonly quietMs: number;
  /** The secret the kit uses for the §4 cases, and the file that holds it; undefined when the dialer takes no secret. */
  readonly secret: { readonly bytes: Uint8Array; readonly file: string } | undefined;
  readonly tls: { readonly server: TlsOptions; readonly caFile: string } | undefined;
}

/** What a dialer call is, beside the kit's defaults. */
export interface CallSettings {
  readonly operation?: DialerInvocation['operation'];
  readonly clusterName?: string;
  /** Give the dialer the kit's secret. */
  readonly secret?: boolean;
}

/** The id and address the dialer is asked to join or leave. */
export const DIALER_ID = 'rftm-conformance-dialer';
export const DIALER_ADDRESS = '192.0.2.10:7000';

/** One client case's scripted servers and dialer runs; everything is closed when the case ends. */
export class ClientContext {
  readonly #listeners: ScriptListener[] = [];

  constructor(
    readonly caseName: string,
    readonly settings: ClientSettings,
  ) {}

  /** A scripted server playing `script` to every connection; `secret` makes it ask for the kit's secret. */
  async listen(script: Script, options: { secret?: boolean } = {}): Promise<ScriptListener> {
    const listener = new ScriptListener(script, {
      waitMs: this.settings.waitMs,
      secret: options.secret ? this.settings.secret?.bytes : undefined,
      tls: this.settings.tls?.server,
    });
    this.#listeners.push(listener);
    await listener.listen(this.settings.host);
    return listener;
  }

  /** Runs the dialer once against `target`. */
  dial(target: ScriptListener | ServerAddress, call: CallSettings = {}): Promise<DialerRun> {
    const withSecret = call.secret === true ? this.settings.secret : undefined;
    return runDialer(
      this.settings.dialer,
      {
        caseName: this.caseName,
        operation: call.operation ?? 'join',
        target: typeof target === 'string' ? target : target.address,
        id: DIALER_ID,
        address: DIALER_ADDRESS,
        role: 'voter',
        clusterName: call.clusterName ?? '',
        secret: withSecret?.bytes,
        secretFile: withSecret?.file,
        tlsCaFile: this.settings.tls?.caFile,
        timeoutMs: this.settings.timeoutMs,
      },
      this.settings.graceMs,
    );
  }

  /** Skips a case that needs the dialer to take a secret. */
  needsSecret(): Verdict | undefined {
    return this.settings.secret ? undefined : skip('the dialer takes no secret (--no-secret)');
  }

  /** Closes every scripted server. */
  async release(): Promise<void> {
    await Promise.all(this.#listeners.map((l) => l.close()));
  }
}

/** Reads requests and answers each with `answer(request, connection)` (undefined: no answer) until the dialer closes. */
export function serve(
  answer: (request: CheckedRequest, connection: ScriptConnection, n: number) => Record<string, unknown> | Buffer | undefined,
  options: { readonly hold?: number } = {},
): Script {
  let n = 0;
  let call: string | undefined;
  return async (connection) => {
    if (!(await connection.accept())) return;
    for (;;) {
      const request = await connection.readRequest();
      if (!request) return;
      // The first request names the call. A members read after a change
      // (this library's CLI makes one, to report the role held) is not the
      // case's business: it gets a valid, empty configuration.
      call ??= request.request?.type;
      if (call !== 'members' && request.request?.type === 'members') {
        connection.respond(request.rid ?? 0, { ok: true, index: 1, members: [] });
        continue;
      }
      const response = answer(request, connection, n++);
      if (response === undefined) {
        await connection.hold(options.hold ?? 60_000);
        return;
      }
      if (Buffer.isBuffer(response)) connection.respondRaw(response);
      else connection.respond(request.rid ?? 0, response);
    }
  };
}

export { describeRun };
