import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    // Each file gets its own process and its own database, so files never see each other's rows.
    pool: 'forks',
    // Two files at a time: a file mostly waits on its own database and server (one core each), and
    // vitest's default on a 2-core machine (cores - 1) would run them one by one.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
