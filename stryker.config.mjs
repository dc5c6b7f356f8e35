// npm run mutation: StrykerJS on the security-critical modules. Each mutant runs only against
// the unit test files that reach it (coverage per test file), so a run takes minutes. One
// module: `npm run mutation -- --mutate src/claims/access.ts`. The score and the surviving
// mutants are in docs/development.md; the HTML report is test-output/mutation/index.html.
import { existsSync } from 'node:fs';

/**
 * The modules mutated, each with its fast unit tests (no IdP, no HTTP server): the one place
 * to edit when a module moves. A path that no longer exists stops the run here with its name,
 * rather than Stryker mutating the rest and reporting a score without it.
 */
const MODULES = {
  'src/claims/access.ts': ['test/claims/access.test.ts'],
  'src/oidc/checks.ts': ['test/oidc/checks.test.ts'],
  'src/login/transaction.ts': ['test/login/transaction.test.ts'],
  'src/commbox/redirect.ts': ['test/commbox/redirect.test.ts'],
  'src/config/strength.ts': ['test/config/strength.test.ts'],
  'src/login/decide.ts': ['test/login/decide.test.ts'],
  'src/claims/needed-claims.ts': ['test/claims/needed-claims.test.ts'],
  'src/config/shown-values.ts': ['test/config/shown-values.test.ts'],
};

const missing = Object.entries(MODULES)
  .flatMap(([module, tests]) => [module, ...tests])
  .filter((path) => !/[*?{[]/.test(path) && !existsSync(path));
if (missing.length > 0) {
  throw new Error(`stryker.config.mjs: ${missing.join(', ')} not found (moved?): update MODULES`);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  mutate: Object.keys(MODULES),
  tap: {
    testFiles: [...new Set(Object.values(MODULES).flat())],
    nodeArgs: ['-r', '{{hookFile}}', '--import=tsx', '{{testFile}}'],
  },
  coverageAnalysis: 'perTest',
  // The machine running it is usually shared; `--concurrency 4` where it is not.
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'test-output/mutation/index.html' },
  clearTextReporter: { allowColor: false, logTests: false },
  // The sandbox needs the sources, the tests and their helpers, not the build or the reports.
  ignorePatterns: ['dist', 'coverage', '.tap', 'test-output', 'bench/results'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // Below 95% the run fails: the survivors left are each explained in docs/development.md, and a
  // new one is either killed by a test or explained there.
  thresholds: { high: 98, low: 96, break: 95 },
};
