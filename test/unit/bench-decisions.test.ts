// The gate's decisions at their edges, module by module (issue 15: every mutant the mutation run left alive in
// the report probes, the roofline and the verdict got a test of what the gate decides there): which seeds pair up,
// when an input counts as changed, when two buffers overlap, where a roofline turns impossible or changes its
// bound, and what the verdict says and shows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimingComparison } from '../../server/src/bench/compare';
import { checkAliasing, checkInputs, checkSeeds } from '../../server/src/bench/report-probes';
import { roofline } from '../../server/src/bench/roofline';
import { gate } from '../../server/src/bench/verdict';
import { type CheckRun, type Probe, verdictOf } from '../../server/src/bench/verify';
import type { BenchSpec } from '../../server/src/benchspec/model';
import type { CheckReport, DeviceInfo } from '../../server/src/harness/protocol';

const device: DeviceInfo = { name: 'GPU', computeCapability: '9.0', smCount: 1, l2Bytes: 1, globalMemBytes: 1, driverVersion: 1, runtimeVersion: 1 };
const spec: BenchSpec = {
  version: 1,
  kernel: 'k',
  sizes: { n: 16 },
  args: [
    { name: 'a', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'normal', mean: 0, std: 1 } },
    { name: 'b', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'normal', mean: 0, std: 1 } },
    { name: 'out', role: 'output', dtype: 'float32', shape: ['n'] },
    { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
  ],
  launch: { grid: ['1'], block: ['16'] },
};
const SHAPES = { a: [16], b: [16], out: [16] };

function check(seed: number, report: Partial<CheckReport> = {}): CheckRun {
  return {
    dir: '/nowhere',
    report: {
      kind: 'check',
      seed,
      device,
      outputs: [{ name: 'out', dtype: 'float32', elements: 16, file: 'out.bin' }],
      inputChecksumsBefore: { a: 'a0', b: 'b0' },
      inputChecksumsAfter: { a: 'a0', b: 'b0' },
      pointers: { a: '0x1000', b: '0x2000', out: '0x3000' },
      kernelMs: 1,
      ...report,
    },
  };
}

const checks = (report: Partial<CheckReport> = {}) => [1, 2, 3].map((seed) => check(seed, report));

test('seeds: a repeated seed counts once; a candidate seed without a baseline check fails; both results are gate probes', { timeout: 10_000 }, () => {
  const repeated = checkSeeds(checks(), [check(1), check(1), check(2), check(3)], 3);
  assert.deepEqual(repeated.pairs.map((p) => p.seed), [1, 2, 3]);
  assert.deepEqual(repeated.probe, { name: 'seeds', passed: true, gate: true, reason: '3 distinct seeds compared (1, 2, 3)', details: { seeds: [1, 2, 3], unpaired: [], minSeeds: 3 } });
  const unpaired = checkSeeds(checks(), [...checks(), check(9)], 3);
  assert.equal(unpaired.probe.passed, false);
  assert.equal(unpaired.probe.gate, true);
  assert.deepEqual(unpaired.probe.details, { seeds: [1, 2, 3], unpaired: [9], minSeeds: 3 });
  assert.match(unpaired.probe.reason, /candidate seed\(s\) 9 have no baseline check/);
  assert.match(checkSeeds([], [], 1).probe.reason, /only 0 distinct seed\(s\) compared \(none\)/);
});

test('inputs: a change the baseline makes too says the spec should declare it inout; details record every seed', { timeout: 10_000 }, () => {
  const both = checkInputs(spec, [check(1, { inputChecksumsAfter: { a: 'a1', b: 'b0' } })], [check(1, { inputChecksumsAfter: { a: 'a1', b: 'b0' } })]);
  assert.equal(both.passed, false);
  assert.match(both.reason, /changed input\(s\) 'a' .*; the baseline changes 'a' too, so the spec probably should declare it inout$/);
  const two = checkInputs(spec, [check(1, { inputChecksumsAfter: { a: 'x', b: 'y' } })], [check(1, { inputChecksumsAfter: { a: 'x', b: 'y' } })]);
  assert.match(two.reason, /declare them inout$/);
  const onlyCandidate = checkInputs(spec, [check(1)], [check(1, { inputChecksumsAfter: { a: 'a0', b: 'b9' } })]);
  assert.doesNotMatch(onlyCandidate.reason, /inout/);
  assert.deepEqual(onlyCandidate.details, { inputs: ['a', 'b'], candidate: [{ seed: 1, changed: ['b'], missing: [] }], baselineChanged: [] });
  const fine = checkInputs(spec, checks(), checks());
  assert.deepEqual(fine, { name: 'inputs-unchanged', passed: true, gate: true, reason: '2 input(s) unchanged on 3 candidate check(s)', details: { inputs: ['a', 'b'], candidate: [1, 2, 3].map((seed) => ({ seed, changed: [], missing: [] })), baselineChanged: [] } });
  // Inouts may change: only pure inputs are checked.
  const inout: BenchSpec = { ...spec, args: spec.args.map((a) => (a.name === 'b' ? { ...a, role: 'inout' as const } : a)) };
  assert.equal(checkInputs(inout, checks(), [check(1, { inputChecksumsAfter: { a: 'a0', b: 'b9' } })]).passed, true);
});

test('aliasing: pointers must be hex addresses; extents come from the dump, else the shape; inputs may share', { timeout: 10_000 }, () => {
  const aliasing = (pointers: Record<string, string>, report: Partial<CheckReport> = {}, shapes: Record<string, number[] | undefined> = SHAPES) =>
    checkAliasing(spec, [check(1, { pointers, ...report })], shapes);
  for (const bad of ['0x', 'zz', '0x12g', '12 ', 'x12', '0x1000-']) {
    const p = aliasing({ a: bad, b: '0x2000', out: '0x3000' });
    assert.equal(p.passed, false, bad);
    assert.match(p.reason, /^seed 1: pointer of 'a' is '.*', not a hex address$/);
  }
  assert.equal(aliasing({ a: '1000', b: '2000', out: '3000' }).passed, true, 'hex without 0x');
  assert.equal(aliasing({ a: '0xABC0', b: '0x2000', out: '0x3000' }).passed, true, 'upper-case hex');
  // Two inputs at one address: reading a buffer twice is harmless.
  const shared = aliasing({ a: '0x1000', b: '0x1000', out: '0x3000' });
  assert.deepEqual(shared, { name: 'no-aliasing', passed: true, gate: true, reason: 'no output overlaps another buffer on 1 candidate check(s)', details: { overlaps: [] } });
  // An input right after the output's 64 bytes touches it but does not overlap; one byte earlier does.
  assert.equal(aliasing({ a: '0x3040', b: '0x2000', out: '0x3000' }).passed, true);
  const overlap = aliasing({ a: '0x303f', b: '0x2000', out: '0x3000' });
  assert.equal(overlap.passed, false);
  assert.deepEqual(overlap.details, { overlaps: [{ seed: 1, a: 'a', b: 'out' }] });
  // The dump's element count wins over the shape: 32 dumped elements reach 0x3080.
  const dumped = { outputs: [{ name: 'out', dtype: 'float32', elements: 32, file: 'out.bin' }] };
  assert.equal(aliasing({ a: '0x3070', b: '0x2000', out: '0x3000' }, dumped).passed, false);
  assert.equal(aliasing({ a: '0x3070', b: '0x2000', out: '0x3000' }).passed, true);
  // Without a dump or a shape only equal pointers count.
  const noExtent = { outputs: [] };
  assert.equal(aliasing({ a: '0x3001', b: '0x2000', out: '0x3000' }, noExtent, {}).passed, true);
  assert.equal(aliasing({ a: '0x3000', b: '0x2000', out: '0x3000' }, noExtent, {}).passed, false);
});

const CEILINGS = { copyBytesPerSecond: 1e9, fp32FlopsPerSecond: 1e9 };

test('roofline: refuses inputs it cannot reason about, each named', { timeout: 10_000 }, () => {
  assert.throws(() => roofline(1, Number.NaN, undefined, CEILINGS), /bytes must be finite and ≥ 0, got NaN/);
  assert.throws(() => roofline(1, -1, undefined, CEILINGS), /bytes must be finite and ≥ 0, got -1/);
  assert.throws(() => roofline(1, 1, Number.POSITIVE_INFINITY, CEILINGS), /flops must be finite and ≥ 0, got Infinity/);
  assert.throws(() => roofline(1, 1, -1, CEILINGS), /flops must be finite and ≥ 0/);
  assert.throws(() => roofline(1, 1, undefined, { ...CEILINGS, copyBytesPerSecond: 0 }), /copy ceiling \(B\/s\) must be finite and > 0/);
  assert.throws(() => roofline(1, 1, undefined, { ...CEILINGS, fp32FlopsPerSecond: -1 }), /FP32 ceiling \(flop\/s\) must be finite and > 0/);
  assert.equal(roofline(1, 0, 0, CEILINGS).impossible, false, 'zero bytes and flops are allowed');
});

test('roofline: the impossible margin and the latency threshold are boundaries, not approximations', { timeout: 10_000 }, () => {
  // 1 s, so achieved rates equal the byte and flop counts.
  const at = (bytes: number, flops?: number, options = {}) => roofline(1000, bytes, flops, CEILINGS, options);
  assert.equal(at(1.5e9, undefined, { impossibleMargin: 0.5 }).impossible, false, 'exactly 1 + margin is possible');
  assert.equal(at(1.5e9 + 1, undefined, { impossibleMargin: 0.5 }).impossible, true);
  assert.equal(at(1e8, 1.5e9, { impossibleMargin: 0.5 }).impossible, false);
  assert.equal(at(1e8, 0.8e9, { impossibleMargin: 0.5 }).impossible, false, 'below the FP32 ceiling');
  const both = at(3e9, 3e9);
  assert.match(both.impossibleReason ?? '', /^impossible: .* copy bandwidth .*; impossible: .* FP32 throughput/);
  assert.equal(at(5e8, undefined, { latencyThreshold: 0.5 }).bound, 'memory', 'exactly at the threshold is not latency-bound');
  assert.equal(at(4.99e8, undefined, { latencyThreshold: 0.5 }).bound, 'latency');
  // Equal fractions of both ceilings: memory-bound; intensity exactly at the ridge: expected compute-bound.
  const equal = at(8e8, 8e8);
  assert.equal(equal.bound, 'memory');
  assert.equal(equal.expectedBound, 'compute');
  assert.equal(at(8e8, 7.9e8).expectedBound, 'memory');
  // No bytes: no intensity to speak of.
  const noBytes = at(0, 8e8);
  assert.equal(noBytes.arithmeticIntensity, undefined);
  assert.equal(noBytes.expectedBound, undefined);
  assert.equal(noBytes.bound, 'compute');
});

test('roofline: with the FP32 ceiling waived (half precision) the compute fraction is capped at 1, otherwise it is not', { timeout: 10_000 }, () => {
  const tensor = roofline(1000, 1e8, 3e9, CEILINGS, { flopsCeilingApplies: false });
  assert.equal(tensor.impossible, false);
  assert.equal(tensor.fractionOfFlops, 3);
  assert.equal(tensor.fractionOfPeak, 1);
  assert.equal(tensor.bound, 'compute');
  const fp32 = roofline(1000, 1e8, 3e9, CEILINGS);
  assert.equal(fp32.fractionOfPeak, 3);
  assert.equal(fp32.impossible, true);
});

const passing = (overrides: Partial<Record<Probe['name'], Partial<Probe>>> = {}) => {
  const probes: Probe[] = (['seeds', 'match', 'written', 'inputs-unchanged', 'no-aliasing', 'not-trivial'] as const).map((name) => ({ name, passed: true, gate: name !== 'not-trivial', reason: `${name} ok`, ...overrides[name] }));
  return { probes, verdict: verdictOf(probes) };
};
const timing = (speedup: number, verdict: TimingComparison['verdict'] = 'faster') => ({ speedup, verdict, speedupCI: { low: speedup * 0.9, high: speedup * 1.1, confidence: 0.95 } }) as TimingComparison;
const impossible = (reason?: string) => ({ ...roofline(1000, 3e9, undefined, CEILINGS), impossibleReason: reason });

test('verdict: unverified, untimed, suspicious and impossible candidates are each said as such', { timeout: 10_000 }, () => {
  const unverified = gate({ timing: timing(2) });
  assert.deepEqual([unverified.status, unverified.accepted, unverified.weakSpec, unverified.headline], ['rejected', false, false, 'rejected: not verified']);
  assert.match(unverified.reasons[0], /^not verified: no correctness probes were run/);
  const untimed = gate({ verification: passing() });
  assert.deepEqual([untimed.status, untimed.accepted, untimed.showSpeedup, untimed.headline, untimed.speedup], ['untimed', true, false, 'correct (not timed)', undefined]);
  const weak = gate({ verification: passing({ 'not-trivial': { passed: false, reason: 'weak spec: zeros pass' } }) });
  assert.equal(weak.headline, 'correct (not timed) · weak spec');
  assert.deepEqual(weak.warnings, ['weak spec: zeros pass']);
  // Speedups above the limit (default 10×) are shown with a warning; the limit itself is not above it.
  assert.match(gate({ verification: passing(), timing: timing(12) }).warnings.join(), /a 12\.00× speedup is unusual/);
  assert.deepEqual(gate({ verification: passing(), timing: timing(10) }).warnings, []);
  assert.deepEqual(gate({ verification: passing(), timing: timing(6), suspiciousSpeedup: 5 }).warnings.length, 1);
  // Failed probes and an impossible candidate are both in the headline; a baseline without its reason is still named.
  const both = gate({ verification: passing({ match: { passed: false, reason: 'off' } }), timing: timing(2), candidateRoofline: impossible('impossible: too fast') });
  assert.equal(both.headline, 'rejected: match; impossible: too fast');
  assert.match(both.reasons[0], /^failed probes: match — off$/);
  const baseline = gate({ verification: passing(), timing: timing(2), baselineRoofline: impossible(undefined) });
  assert.equal(baseline.headline, 'rejected: the baseline itself measures as impossible: check the spec\'s roofline bytes and the ceilings');
  const candidateOnly = gate({ verification: passing(), candidateRoofline: impossible(undefined) });
  assert.deepEqual(candidateOnly.reasons, ['impossible roofline']);
  assert.equal(candidateOnly.speedupCI, undefined);
  const ci = gate({ verification: passing(), timing: timing(2) }).speedupCI;
  assert.deepEqual(ci, { low: 1.8, high: 2.2, confidence: 0.95 });
});
