// The roofline and the verdict at their edges (derive/roofline.ts, derive/verdict.ts): which inputs the roofline
// refuses, where a rate turns impossible or the bound changes, and what the gate says and shows for an
// unverified, untimed, suspicious or impossible candidate. Ported from the tests of the modules derive/ replaced
// (issue 15).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimingComparison } from '../../server/src/derive/compare';
import { type Probe, verdictOf } from '../../server/src/derive/probes';
import { roofline } from '../../server/src/derive/roofline';
import { gate } from '../../server/src/derive/verdict';

const CEILINGS = { copyBytesPerSecond: 1e9, fp32FlopsPerSecond: 1e9 };

test('roofline: refuses inputs it cannot reason about, each named', { timeout: 10_000 }, () => {
  assert.throws(() => roofline(0, 1, undefined, CEILINGS), /time \(ms\) must be finite and > 0, got 0/);
  assert.throws(() => roofline(Number.POSITIVE_INFINITY, 1, undefined, CEILINGS), /time \(ms\) must be finite/);
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
  assert.equal(at(1.05e9).impossible, false, 'the default margin is 5 %');
  assert.equal(at(1.06e9).impossible, true);
  assert.equal(at(1e8, 1.5e9, { impossibleMargin: 0.5 }).impossible, false);
  assert.equal(at(1e8, 1.5e9 + 1, { impossibleMargin: 0.5 }).impossible, true);
  assert.equal(at(1e8, 1.06e9).impossible, true);
  const both = at(3e9, 3e9);
  assert.match(both.impossibleReason ?? '', /^impossible: 3\.00 GB\/s exceeds measured copy bandwidth 1\.00 GB\/s \(300 %\); impossible: 3\.00 GFLOP\/s exceeds measured FP32 throughput 1\.00 GFLOP\/s \(300 %\)$/);
  assert.equal(at(5e8, undefined, { latencyThreshold: 0.5 }).bound, 'memory', 'exactly at the threshold is not latency-bound');
  assert.equal(at(4.99e8, undefined, { latencyThreshold: 0.5 }).bound, 'latency');
  assert.equal(at(6e8).bound, 'memory', 'the default threshold is 0.6');
  assert.equal(at(5.9e8).bound, 'latency');
  // Equal fractions of both ceilings: memory-bound; intensity exactly at the ridge: expected compute-bound.
  const equal = at(8e8, 8e8);
  assert.equal(equal.bound, 'memory');
  assert.equal(equal.expectedBound, 'compute');
  assert.equal(equal.arithmeticIntensity, 1);
  assert.equal(equal.ridgeIntensity, 1);
  assert.equal(at(8e8, 7.9e8).expectedBound, 'memory');
  assert.equal(at(7e8, 8e8).bound, 'compute');
  assert.equal(at(7e8, 8e8).fractionOfPeak, 0.8);
  // No bytes: no intensity to speak of.
  const noBytes = at(0, 8e8);
  assert.equal(noBytes.arithmeticIntensity, undefined);
  assert.equal(noBytes.expectedBound, undefined);
  assert.equal(noBytes.bound, 'compute');
  // Without flops only the copy ceiling counts.
  const bytesOnly = at(8e8);
  assert.deepEqual([bytesOnly.flops, bytesOnly.achievedFlopsPerSecond, bytesOnly.fractionOfFlops, bytesOnly.fractionOfPeak], [undefined, undefined, undefined, 0.8]);
});

test('roofline: with the FP32 ceiling waived (half precision) the compute fraction is capped at 1, otherwise it is not', { timeout: 10_000 }, () => {
  const tensor = roofline(1000, 1e8, 3e9, CEILINGS, { flopsCeilingApplies: false });
  assert.equal(tensor.impossible, false);
  assert.equal(tensor.fractionOfFlops, 3);
  assert.equal(tensor.fractionOfPeak, 1);
  assert.equal(tensor.bound, 'compute');
  // Capped at 1, the compute side still loses to a copy fraction above it.
  assert.equal(roofline(1000, 1.02e9, 3e9, CEILINGS, { flopsCeilingApplies: false }).bound, 'memory');
  const fp32 = roofline(1000, 1e8, 3e9, CEILINGS);
  assert.equal(fp32.fractionOfPeak, 3);
  assert.equal(fp32.impossible, true);
  assert.equal(roofline(1000, 1e8, 3e9, CEILINGS, { flopsCeilingApplies: true }).impossible, true);
});

const passing = (overrides: Partial<Record<Probe['name'], Partial<Probe>>> = {}) => {
  const probes: Probe[] = (['seeds', 'match', 'written', 'inputs-unchanged', 'no-aliasing', 'not-trivial', 'deterministic'] as const).map((name) => ({ name, passed: true, gate: name !== 'not-trivial' && name !== 'deterministic', reason: `${name} ok`, ...overrides[name] }));
  return { probes, verdict: verdictOf(probes) };
};
const timing = (speedup: number, verdict: TimingComparison['verdict'] = 'faster') => ({ speedup, verdict, speedupCI: { low: speedup * 0.9, high: speedup * 1.1, confidence: 0.95 } }) as TimingComparison;
const impossible = (reason?: string) => ({ ...roofline(1000, 3e9, undefined, CEILINGS), impossibleReason: reason });

test('verdict: unverified, untimed, suspicious and impossible candidates are each said as such', { timeout: 10_000 }, () => {
  const unverified = gate({ timing: timing(2) });
  assert.deepEqual([unverified.status, unverified.accepted, unverified.showSpeedup, unverified.weakSpec, unverified.headline], ['rejected', false, false, false, 'rejected: not verified']);
  assert.match(unverified.reasons[0], /^not verified: no correctness probes were run/);
  const untimed = gate({ verification: passing() });
  assert.deepEqual([untimed.status, untimed.accepted, untimed.showSpeedup, untimed.headline, untimed.speedup], ['untimed', true, false, 'correct (not timed)', undefined]);
  const weak = gate({ verification: passing({ 'not-trivial': { passed: false, reason: 'weak spec: zeros pass' } }) });
  assert.equal(weak.headline, 'correct (not timed) · weak spec');
  assert.deepEqual([weak.accepted, weak.weakSpec, weak.warnings], [true, true, ['weak spec: zeros pass']]);
  const nondeterministic = gate({ verification: passing({ deterministic: { passed: false, reason: 'differs in 2 elements' } }), timing: timing(2) });
  assert.deepEqual([nondeterministic.accepted, nondeterministic.showSpeedup, nondeterministic.warnings], [true, true, ['differs in 2 elements']]);
  // Speedups above the limit (default 10×) are shown with a warning; the limit itself is not above it.
  assert.match(gate({ verification: passing(), timing: timing(12) }).warnings.join(), /a 12\.00× speedup is unusual/);
  assert.deepEqual(gate({ verification: passing(), timing: timing(10) }).warnings, []);
  assert.deepEqual(gate({ verification: passing(), timing: timing(6), suspiciousSpeedup: 5 }).warnings.length, 1);
  // Failed probes and an impossible candidate are both in the headline; a baseline without its reason is still named.
  const both = gate({ verification: passing({ match: { passed: false, reason: 'off' } }), timing: timing(2), candidateRoofline: impossible('impossible: too fast') });
  assert.equal(both.headline, 'rejected: match; impossible: too fast');
  assert.deepEqual(both.reasons, ['failed probes: match — off', 'impossible: too fast']);
  assert.deepEqual([both.status, both.accepted, both.showSpeedup, both.failedProbes], ['rejected', false, false, ['match']]);
  const baseline = gate({ verification: passing(), timing: timing(2), baselineRoofline: impossible(undefined) });
  assert.equal(baseline.headline, "rejected: the baseline itself measures as impossible: check the spec's roofline bytes and the ceilings");
  const candidateOnly = gate({ verification: passing(), candidateRoofline: impossible(undefined) });
  assert.deepEqual(candidateOnly.reasons, ['impossible roofline']);
  assert.equal(candidateOnly.speedupCI, undefined);
  assert.deepEqual(gate({ verification: passing(), timing: timing(2) }).speedupCI, { low: 1.8, high: 2.2, confidence: 0.95 });
});

test('verdict: only an accepted, significantly faster candidate shows its speedup; slower and no difference say so', { timeout: 10_000 }, () => {
  const faster = gate({ verification: passing(), timing: timing(1.5) });
  assert.deepEqual([faster.status, faster.accepted, faster.showSpeedup, faster.speedup, faster.headline], ['faster', true, true, 1.5, '1.50× faster']);
  const slower = gate({ verification: passing(), timing: timing(0.5, 'slower') });
  assert.deepEqual([slower.status, slower.accepted, slower.showSpeedup, slower.headline], ['slower', true, false, '0.50× (slower)']);
  const same = gate({ verification: passing({ 'not-trivial': { passed: false, reason: 'weak' } }), timing: timing(1.001, 'no-significant-difference') });
  assert.deepEqual([same.status, same.showSpeedup, same.headline], ['no-significant-difference', false, 'no significant difference (1.00×) · weak spec']);
  // Rejected with a verification but no failed probe: the first reason is the headline.
  const rejected = gate({ verification: passing(), timing: timing(1.5), baselineRoofline: impossible('impossible: 3 GB/s') });
  assert.deepEqual([rejected.status, rejected.showSpeedup, rejected.speedup], ['rejected', false, 1.5]);
  assert.equal(rejected.headline, 'rejected: the baseline itself measures as impossible: 3 GB/s: check the spec\'s roofline bytes and the ceilings');
});
