import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Sockets and elections need real time; a hung test must still end.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
