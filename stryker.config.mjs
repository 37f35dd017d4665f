// Mutation testing of the domain rules (server/domain/): `npm run test:mutation`.
// Only the domain's direct unit tests run against each mutant; they are pure, so a run stays short.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.domain.config.mjs', related: false },
  mutate: ['server/domain/**/*.ts'],
  checkers: [],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 5_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 95, low: 90, break: 90 },
  // Incremental: the results of the last run are committed next to this file, and a run re-tests only the
  // mutants whose code or covering tests changed since (the report still scores every mutant). CI then
  // spends its minutes on what a change touched; `npx stryker run --force` re-tests everything.
  incremental: true,
  incrementalFile: 'stryker.incremental.json',
};
