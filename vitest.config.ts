import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Sockets and elections need real time; a hung test must still end.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      // Most files wait on sockets and timers more than they compute: two at
      // a time on two cores.
      {
        extends: true,
        test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/attack/**'], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      // The attacks and the churn judge latency and leadership across
      // processes of their own: they run last, one file at a time, with
      // nothing of the suite beside them.
      {
        extends: true,
        test: { name: 'attack', include: ['test/attack/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
