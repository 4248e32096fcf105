// `npm run test:mutation`: StrykerJS over the gate's decision code (issue 15). Not part of CI (too slow); run it
// after changing a decision module, read the survivors, and commit the summary (test/mutation/summarize.mjs).
//
// Each mutant runs only the test files that reached it in the dry run (per-test coverage; the TAP runner's unit
// of a "test" is a file), so a test file listed here costs only where it covers. Keep this list to the fast,
// pure tests of the decision code: a suite that compiles with nvcc would make one mutant cost tens of seconds, and
// the whole-job tests (job-compare) reach every module, so each survivor would pay for them too; a decision they
// alone catch deserves a test of its own here.

/** The decision code: what the gate concludes from a candidate's reports, dumps and timings. */
const decisionModules = [
  'server/src/bench/{verify,elementwise,report-probes,compare,stats,verdict,roofline,runs-probe,timed-probe,normal,num,dtype}.ts',
  'server/src/harness/{run,poison,protocol}.ts',
  'server/src/benchspec/{defaults,validate}.ts',
];

/** The tests that decide about that code; a new decision module brings its test file here. */
const decisionTests = [
  'test/unit/bench-{gate,record,recorded,roofline,stats,verify,probes}.test.ts',
  'test/unit/benchspec-{validate,store}.test.ts',
  'test/unit/harness-report.test.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: decisionModules,
  testRunner: 'tap',
  tap: {
    testFiles: decisionTests,
    // The TypeScript sources run as the tests run them (tsx + the .cu text loader), one file per process, TAP out.
    nodeArgs: ['-r', '{{hookFile}}', '--import', './scripts/ts.mjs', '--test-reporter=tap', '{{testFile}}'],
  },
  plugins: ['@stryker-mutator/*', './test/mutation/ignore.mjs'],
  ignorers: ['not-decisions'],
  checkers: ['typescript'],
  tsconfigFile: 'test/mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'test/mutation/out/mutation.json' },
  htmlReporter: { fileName: 'test/mutation/out/mutation.html' },
  // A rerun retests only the mutants whose code or covering tests changed since the last run.
  incremental: true,
  incrementalFile: 'test/mutation/out/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
