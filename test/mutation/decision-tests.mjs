// The tests that decide about the gate's decision code (stryker.config.mjs mutates it). A new decision module
// brings its test file here. Keep to fast, pure tests: each mutant reruns the files that reached it, so a suite
// that compiles with nvcc would make one mutant cost tens of seconds, and the whole-job tests (job-compare) reach
// every module, so each survivor would pay for them too; a decision they alone catch deserves a test here. Tests
// that pin a constant (benchspec-store's tolerance table) are left out on purpose: a tolerance is killed by a
// test of what the gate decides with it. So are the record tests (bench-record, bench-recorded): re-deriving a
// stored run proves the record is faithful, not that the decision it holds is right; and optimize-search, whose
// subject is the search proposer (the loop's choices are tested in optimize-loop).
export const DECISION_TESTS = [
  // derive/: probes from the runtime's events, trust, statistics and the comparison, roofline, verdict, summary.
  'test/unit/gate-decisions.test.ts',
  'test/unit/derive-probes.test.ts',
  'test/unit/derive-probes-edges.test.ts',
  'test/unit/derive-gate-edges.test.ts',
  'test/unit/gate-tolerances.test.ts',
  'test/unit/gate-rejections.test.ts',
  'test/unit/derive-stats-edges.test.ts',
  'test/unit/bench-gate.test.ts',
  'test/unit/bench-roofline.test.ts',
  'test/unit/bench-statistics.test.ts',
  'test/unit/bench-stats.test.ts',
  'test/unit/bench-numbers.test.ts',
  // bench/: the element semantics kp_compare.cuh implements, decoding, sizes that cannot run.
  'test/unit/bench-elementwise.test.ts',
  'test/unit/bench-elementwise-decode.test.ts',
  'test/unit/bench-fits.test.ts',
  // harness/ and bench/crash.ts: the runtime's command line, how a run ends and what a crash means.
  'test/unit/gate-run.test.ts',
  'test/unit/gate-run-endings.test.ts',
  'test/unit/gate-runtime-edges.test.ts',
  // benchspec/: tolerances and validation.
  'test/unit/benchspec-defaults.test.ts',
  'test/unit/benchspec-validate.test.ts',
  'test/unit/benchspec-validate-rules.test.ts',
  // optimize/: the loop, its bandit and budget.
  'test/unit/optimize-loop.test.ts',
  'test/unit/optimize-bandit-budget.test.ts',
  'test/unit/optimize-bandit-draws.test.ts',
  // The Python gates' batches and how a gate process that ended is read.
  'test/unit/gate-batch.test.ts',
  'test/unit/python-gate-endings.test.ts',
  // derive/kernelbench.ts: fast_p, the geometric mean, and the speedup over torch.compile chained through eager.
  'test/unit/kernelbench-fastp.test.ts',
];

/** Where bundle-tests.mjs puts a test file's bundle, and what the TAP runner runs. */
export const bundleOf = (test) => test.replace(/\.ts$/, '.cjs');
