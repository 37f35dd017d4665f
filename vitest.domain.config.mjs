import { defineConfig } from 'vitest/config';

/**
 * The domain's direct unit tests only: pure functions, so no global database setup, no forks. What
 * `npm run test:mutation` (Stryker) runs against every mutant of server/domain/.
 */
export default defineConfig({
  test: {
    include: ['test/domain/*.test.ts'],
    pool: 'threads',
    reporters: ['default'],
  },
});
