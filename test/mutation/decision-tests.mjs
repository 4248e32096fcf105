// The tests that decide about the gate's decision code (stryker.config.mjs mutates it). A new decision module
// brings its test file here. Keep to fast, pure tests: each mutant reruns the files that reached it, so a suite
// that compiles with nvcc would make one mutant cost tens of seconds, and the whole-job tests (job-compare) reach
// every module, so each survivor would pay for them too; a decision they alone catch deserves a test here. Tests
// that pin a constant (benchspec-store's tolerance table) are left out on purpose: a tolerance is killed by a
// test of what the gate decides with it.
export const DECISION_TESTS = [
  'test/unit/bench-decisions.test.ts',
  'test/unit/bench-elementwise.test.ts',
  'test/unit/bench-gate.test.ts',
  'test/unit/bench-numbers.test.ts',
  'test/unit/bench-probes.test.ts',
  'test/unit/bench-record.test.ts',
  'test/unit/bench-recorded.test.ts',
  'test/unit/bench-roofline.test.ts',
  'test/unit/bench-statistics.test.ts',
  'test/unit/bench-stats.test.ts',
  'test/unit/bench-verify.test.ts',
  'test/unit/bench-verify-edges.test.ts',
  'test/unit/benchspec-defaults.test.ts',
  'test/unit/benchspec-validate.test.ts',
  'test/unit/benchspec-validate-rules.test.ts',
  'test/unit/harness-contract.test.ts',
  'test/unit/harness-report.test.ts',
];

/** Where bundle-tests.mjs puts a test file's bundle, and what the TAP runner runs. */
export const bundleOf = (test) => test.replace(/\.ts$/, '.cjs');
