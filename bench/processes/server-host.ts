/**
 * `server-host MEMBERS`: the server side of the separate-process scenarios,
 * in a process of its own. It runs, side by side and idle until dialed:
 * - `raw`: the raw floor's responder (counts bytes, parses nothing);
 * - `decoding`: the decoding floor's responder (bench/decoding-floor.ts);
 * - `membership`: a MembershipServer as users run it, in front of a raft
 *   stub that commits at once and whose configuration holds MEMBERS servers;
 * - `http`: the node:http baseline.
 * Its `ready` reply is their addresses; `cpu` reports its CPU time, which
 * the conductor reads before and after each round.
 */
import { decodingResponder } from '../decoding-floor.js';
import { httpServer } from '../http-join.js';
import { JOIN_FRAME, RESPONSE_FRAME, instantRaft, rawResponder, raftServer, type Running } from '../support.js';
import { serveCommands } from './child.js';

/** The addresses of what a server host runs. */
export interface ServerHostAddresses {
  readonly raw: string;
  readonly decoding: string;
  readonly membership: string;
  readonly http: string;
}

const members = Number(process.argv[2] ?? 0);
const running: Running[] = [];
const start = async (server: Promise<Running>): Promise<string> => {
  const started = await server;
  running.push(started);
  return started.address;
};
const addresses: ServerHostAddresses = {
  raw: await start(rawResponder(JOIN_FRAME.length, RESPONSE_FRAME)),
  decoding: await start(decodingResponder()),
  membership: await start(raftServer(instantRaft({ members }))),
  http: await start(httpServer()),
};

serveCommands({
  ready: () => addresses,
  async exit() {
    for (const server of running.reverse()) await server.close();
  },
});
