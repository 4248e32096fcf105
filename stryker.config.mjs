// `npm run test:mutation`: StrykerJS over the gate's decision code (issue 15). Not part of CI (too slow); run it
// after changing a decision module, read the survivors, and commit the summary (test/mutation/summarize.mjs).
//
// Each mutant runs only the test files that reached it in the dry run (per-test coverage; the TAP runner's unit
// of a "test" is a file). The test files are bundled to plain JS first (test/mutation/bundle-tests.mjs).
import { bundleOf, DECISION_TESTS } from './test/mutation/decision-tests.mjs';

/**
 * The decision code: what the gate concludes from the runtime's events and timings (derive/), the element
 * semantics the GPU comparison implements and what a crash or an unrunnable size means (bench/), how a runtime
 * run ends (harness/), tolerances and spec validation (benchspec/), and the optimizer's choices and stop rules.
 * One part of it: `npx stryker run --mutate '<glob>'` (each report-*.md says how its run was split).
 */
const decisionModules = [
  // num.ts only formats numbers for reasons and reports; trust.ts only writes notes for a reviewer (it rejects
  // nothing: every timed launch was verified).
  'server/src/derive/!(num|trust).ts',
  'server/src/bench/{elementwise,dtype,crash,fits}.ts',
  'server/src/harness/{run,poison,protocol}.ts',
  'server/src/benchspec/{defaults,validate}.ts',
  'server/src/optimize/{bandit,budget,loop}.ts',
  // The Python gates: which outcome goes to which attempt of a batch, and whom a gate process that ended is charged to.
  'server/src/bench/gate-batch.ts',
  'server/src/harness/python/run.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: decisionModules,
  testRunner: 'tap',
  buildCommand: 'node test/mutation/bundle-tests.mjs',
  tap: {
    testFiles: DECISION_TESTS.map(bundleOf),
    nodeArgs: ['-r', '{{hookFile}}', '--test-reporter=tap', '{{testFile}}'],
    // A mutant is killed by its first failing test: stop that file there instead of running the rest of it.
    forceBail: true,
  },
  plugins: ['@stryker-mutator/*', './test/mutation/ignore.mjs'],
  ignorers: ['not-decisions'],
  checkers: ['typescript'],
  tsconfigFile: 'test/mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Stryker splits this between type checkers and test runners (4: two of each). On a 2-core machine shared with
  // other work, 1 (one of each) measured 29 mutants a minute, 4 measured 70–90.
  concurrency: 4,
  // A mutant times out after 1.5 × its covering tests' dry-run time + the dry run's overhead + timeoutMS. Each
  // covering file is a node process of its own, whose start (0.3–0.5 s, seconds under load) only the last two terms
  // cover: with 5 s, 109 of the 144 timeouts of the 2026-11-28 run were no hang when rerun with 15 s (48 survived),
  // and a timeout counts as detected. 15 s makes one run's result the one to report; it costs each real hang (about
  // 100 in a full run, the bootstrap and bisection loops) 10 s more, about what the separate recheck took.
  timeoutMS: 15_000,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'test/mutation/out/mutation.json' },
  htmlReporter: { fileName: 'test/mutation/out/mutation.html' },
  // A rerun retests only mutants whose code changed or that a new test file covers. Test ids are the bundles:
  // `npm run test:mutation` also writes them beside the sources (git-ignored) so that Stryker finds the test
  // files it reuses results for; it cannot diff their contents, so put new tests in a new file, or use --force.
  incremental: true,
  incrementalFile: 'test/mutation/out/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
