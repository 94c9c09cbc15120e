/**
 * CPU time per request: `process.cpuUsage()` of each process over a round,
 * divided by the requests the round completed. User time is the process's
 * own work (JavaScript, V8, GC, Node's and libuv's glue), system time its
 * syscalls. The conductor is the client; a server in another process is
 * asked for its figures before and after the round (over IPC, outside the
 * timed part: two messages per round of thousands of requests).
 */
import type { Case, Round } from './harness.js';
import type { CpuUsage } from './processes/child.js';

/** Figure names, in µs per request. */
export const CPU = {
  /** Client process, user time (in one process: client and server together). */
  clientUser: 'cliUserUs',
  clientSystem: 'cliSysUs',
  /** Server process, user time: the "server JavaScript per request". */
  serverUser: 'srvUserUs',
  serverSystem: 'srvSysUs',
} as const;

/** Reports a server process's CPU time so far. */
export type CpuSource = () => Promise<CpuUsage>;

/**
 * The same case, with each round's CPU µs per request among its figures:
 * the client's (this process), and the server's when it runs elsewhere.
 */
export function withCpu(inner: Case, server?: CpuSource): Case {
  return {
    name: inner.name,
    async round(budget): Promise<Round> {
      const serverBefore = await server?.();
      const clientBefore = process.cpuUsage();
      const round = await inner.round(budget);
      const client = process.cpuUsage(clientBefore);
      const serverAfter = await server?.();
      const per = (us: number): number => us / Math.max(1, round.ops);
      const figures: Record<string, number> = {
        ...round.figures,
        [CPU.clientUser]: per(client.user),
        [CPU.clientSystem]: per(client.system),
      };
      if (serverBefore && serverAfter) {
        figures[CPU.serverUser] = per(serverAfter.user - serverBefore.user);
        figures[CPU.serverSystem] = per(serverAfter.system - serverBefore.system);
      }
      return { ...round, figures };
    },
  };
}
