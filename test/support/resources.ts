import { expect } from 'vitest';

const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout', 'TCPWRAP', 'TCPConnectWrap']);

function countWatched(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** The sockets, servers and timers alive now, to compare against later. */
export function resourceBaseline(): Map<string, number> {
  return countWatched();
}

/**
 * Asserts that no socket, server or timer outlives what the test closed:
 * waits (at most `withinMs`) for handles that are closing, then compares
 * with the baseline.
 */
export async function expectNoLeaks(baseline: Map<string, number>, withinMs = 2_000): Promise<void> {
  const extra = (): Record<string, number> => {
    const now = countWatched();
    const out: Record<string, number> = {};
    for (const [kind, n] of now) {
      const more = n - (baseline.get(kind) ?? 0);
      if (more > 0) out[kind] = more;
    }
    return out;
  };
  const until = Date.now() + withinMs;
  while (Object.keys(extra()).length > 0 && Date.now() < until) {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(extra(), 'handles left open after close').toEqual({});
}
