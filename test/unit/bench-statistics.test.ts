// The statistics under "faster", hand-computed on small samples so each edge is exact: summaries and their
// fences, the median CI's ranks and fallbacks, the signed-rank test's exact and normal branches, the paired
// comparison's options and refusals.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareTimings, medianInPlace, signedRankTest } from '../../server/src/derive/compare';
import { coefficientOfVariation, mad, mean, median, medianCI, quantile, quantileSorted, sortedCopy, stddev, summarize } from '../../server/src/derive/stats';

test('a summary of 1..9 plus an outlier: quantiles, spread, fences', { timeout: 10_000 }, () => {
  const s = summarize([9, 1, 8, 2, 7, 3, 6, 4, 5, 100]);
  assert.deepEqual([s.n, s.min, s.max, s.median, s.q1, s.q3, s.p10], [10, 1, 100, 5.5, 3.25, 7.75, 1.9]);
  assert.ok(Math.abs(s.p90 - 18.1) < 1e-9, String(s.p90));
  assert.equal(s.mean, 14.5);
  assert.ok(Math.abs(s.stddev - 30.152391) < 1e-6);
  assert.ok(Math.abs(s.cv - 30.152391 / 14.5) < 1e-6);
  assert.equal(s.mad, 1.4826 * 2.5);
  assert.deepEqual(s.outliers, { low: 0, high: 1 });
  const low = summarize([-100, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(low.outliers, { low: 1, high: 0 });
  // Exactly on a fence is not an outlier: q1 = 2, q3 = 4, fences -1 and 7.
  assert.deepEqual(summarize([-1, 2, 2, 3, 4, 4, 7]).outliers, { low: 0, high: 0 });
  assert.equal(s.ciHalfWidthRel, (s.medianCI.high - s.medianCI.low) / 2 / 5.5);
  assert.ok(Number.isNaN(summarize([-1, -2]).ciHalfWidthRel));
});

test('quantiles interpolate between order statistics and refuse what is not a sample', { timeout: 10_000 }, () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0), 1);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([1, 2, 3, 4], 1 / 3), 2);
  assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.equal(median([3]), 3);
  assert.throws(() => quantileSorted([1], 1.5), /p must be in \[0, 1\]/);
  assert.throws(() => quantileSorted([1], -0.1), /p must be in \[0, 1\]/);
  assert.throws(() => quantileSorted([], 0.5), /empty sample/);
  assert.throws(() => sortedCopy([]), /empty sample/);
  assert.throws(() => sortedCopy([1, Number.NaN]), /element 1 is NaN/);
  assert.throws(() => sortedCopy([Number.POSITIVE_INFINITY]), /element 0 is Infinity/);
  assert.deepEqual(sortedCopy([10, 9, 100]), [9, 10, 100], 'numerically, not as text');
  assert.throws(() => mean([]), /empty sample/);
  assert.ok(Number.isNaN(stddev([1])));
  assert.equal(stddev([2, 4]), Math.SQRT2);
  assert.equal(coefficientOfVariation([2, 2, 2]), 0);
  assert.ok(Number.isNaN(coefficientOfVariation([1])));
  assert.ok(Number.isNaN(coefficientOfVariation([-1, 1])));
  assert.equal(mad([1, 2, 3, 4, 100]), 1.4826);
});

test('median CI: the narrowest order statistics that reach the level; ranges and single values said as such', { timeout: 10_000 }, () => {
  const xs = Array.from({ length: 20 }, (_, i) => i + 1);
  // n = 20: ranks 6 and 15 cover 95.9 %; ranks 7 and 14 would cover only 88.5 %.
  const ci = medianCI(xs);
  assert.deepEqual([ci.lowRank, ci.highRank, ci.low, ci.high], [6, 15, 6, 15]);
  assert.ok(Math.abs(ci.confidence - 0.958610) < 1e-5, String(ci.confidence));
  assert.equal(ci.requested, 0.95);
  assert.equal(ci.fallback, undefined);
  const five = medianCI([5, 1, 4, 2, 3]);
  assert.deepEqual([five.low, five.high, five.fallback], [1, 5, 'range']);
  assert.equal(five.confidence, 1 - 2 * 0.5 ** 5);
  assert.deepEqual(medianCI([7]), { low: 7, high: 7, confidence: 0, requested: 0.95, lowRank: 1, highRank: 1, fallback: 'single' });
  const half = medianCI([1, 2, 3, 4, 5], 0.5);
  assert.deepEqual([half.lowRank, half.highRank, half.confidence, half.fallback], [2, 4, 1 - 2 * (6 / 32), undefined]);
  for (const bad of [0, 1, 1.5]) assert.throws(() => medianCI([1, 2], bad), /confidence must be in \(0, 1\)/);
});

test('the quickselect median agrees with sorting for odd, even, tied and adversarial inputs', { timeout: 10_000 }, () => {
  const cases = [[3, 1, 2], [4, 1, 3, 2], [5, 5, 5, 1, 9, 9], [1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1, 0], [2, 1], [7]];
  for (const xs of cases) assert.equal(medianInPlace(Float64Array.from(xs)), median(xs), xs.join());
});

test('signed-rank test: ties get mid-ranks, zeros drop out, and past 50 pairs the normal approximation with corrections', { timeout: 10_000 }, () => {
  const tied = signedRankTest([1, -1, 2, 0, 3]);
  assert.equal(tied.pairs, 4);
  assert.equal(tied.wPlus, 1.5 + 3 + 4);
  assert.equal(tied.nullMean, 5);
  assert.equal(tied.method, 'exact');
  // W+ = 8.5 of a maximum 10 over 16 sign patterns (half-rank units): P(W+ ≥ 8.5) = 3/16 → two-sided 6/16.
  assert.equal(tied.pValue, 6 / 16);
  const negative = signedRankTest([-0.1, -0.2, -0.3, -0.4, -0.5]);
  assert.equal(negative.wPlus, 0);
  assert.ok(Math.abs(negative.pValue - 2 / 32) < 1e-12);
  // 60 pairs, all positive with distinct sizes: W+ = 1830, mean 915, variance 60·61·121/24; z with a half-rank
  // continuity correction toward the mean.
  const many = signedRankTest(Array.from({ length: 60 }, (_, i) => (i + 1) / 100));
  assert.equal(many.method, 'normal');
  assert.equal(many.wPlus, 1830);
  assert.equal(many.nullMean, 915);
  assert.ok(Math.abs((many.z ?? 0) - (1830 - 915 - 0.5) / Math.sqrt((60 * 61 * 121) / 24)) < 1e-12);
  assert.ok(many.pValue < 1e-10);
  const below = signedRankTest(Array.from({ length: 60 }, (_, i) => -(i + 1) / 100));
  assert.ok(Math.abs((below.z ?? 0) + (915 - 0.5) / Math.sqrt((60 * 61 * 121) / 24)) < 1e-12);
  // Ties shrink the variance: 60 equal sizes.
  const flat = signedRankTest(Array.from({ length: 60 }, (_, i) => (i % 2 ? 1 : -1)));
  assert.equal(flat.wPlus, 30 * 30.5);
  assert.equal(flat.z, 0);
  assert.equal(flat.pValue, 1);
  assert.deepEqual(signedRankTest([]), { name: 'wilcoxon-signed-rank', pairs: 0, wPlus: 0, nullMean: 0, method: 'exact', pValue: 1 });
});

test('comparison options are used and recorded; a refusal names the bad sample', { timeout: 10_000 }, () => {
  const a = Array.from({ length: 30 }, (_, i) => 2 + (i % 5) * 0.01);
  const b = a.map((x) => x / 1.5);
  const r = compareTimings(a, b, { alpha: 0.05, minEffect: 0.2, confidence: 0.9, resamples: 101, seed: 3 });
  assert.deepEqual([r.pairs, r.alpha, r.minEffect, r.verdict], [30, 0.05, 0.2, 'faster']);
  assert.deepEqual([r.speedupCI.confidence, r.speedupCI.resamples, r.speedupCI.seed, r.speedupCI.method], [0.9, 101, 3, 'paired-percentile-bootstrap']);
  assert.ok(Math.abs(r.speedup - 1.5) < 1e-12);
  assert.equal(r.baselineMedianMs, 2.02);
  assert.ok(r.speedupCI.low <= 1.5 && r.speedupCI.high >= 1.5);
  assert.match(r.rule, /< α = 0\.05 and speedup 1\.5000× ≥ 1 \+ 0\.2: faster$/);
  // The same data under a 60 % minimum effect is not a difference; reversed it is slower.
  assert.equal(compareTimings(a, b, { minEffect: 0.6 }).verdict, 'no-significant-difference');
  const slower = compareTimings(b, a);
  assert.equal(slower.verdict, 'slower');
  assert.match(slower.rule, /≤ 1 \/ \(1 \+ 0\.01\): slower$/);
  const same = compareTimings([1, 2], [1, 2]);
  assert.match(same.rule, /≥ α = 0\.01: no significant difference$/);
  assert.throws(() => compareTimings([1], [1]), /need at least 2 pairs, got 1/);
  assert.throws(() => compareTimings([1, 1], [1, Number.NaN]), /candidate sample 1 is NaN/);
  assert.throws(() => compareTimings([1, -1], [1, 1]), /baseline sample 1 is -1/);
});

test('signed-rank test: ranks go by size, not by position — one large loss outweighs two small wins', { timeout: 10_000 }, () => {
  const t = signedRankTest([0.1, -0.3, 0.2]);
  assert.equal(t.wPlus, 1 + 2, 'the wins rank 1 and 2, the loss 3');
});

test('past 50 pairs, tied pair ratios shrink the variance: 38 equal wins of 60 are significant only with the tie correction', { timeout: 10_000 }, () => {
  // Every |log ratio| is log 2, one tie group of 60: variance 60·61·121/24 − (60³ − 60)/48 = 13953.75, W+ = 38·30.5.
  // z = (1159 − 915 − 0.5)/√13953.75 = 2.06 → p = 0.039; without the correction z = 1.79 → p = 0.073.
  const r = compareTimings(Array(60).fill(1), Array.from({ length: 60 }, (_, i) => (i < 38 ? 0.5 : 2)), { alpha: 0.05 });
  assert.equal(r.test.method, 'normal');
  assert.ok(Math.abs(r.test.pValue - 0.0393) < 5e-4, `p = ${r.test.pValue}`);
  assert.equal(r.verdict, 'faster');
});

test('"slower" needs the speedup at or below 1/(1 + minimum effect), the mirror of "faster"', { timeout: 10_000 }, () => {
  // Both significantly slower in every pair; 1/1.02 = 0.98039.
  assert.equal(compareTimings(Array(20).fill(1), Array(20).fill(1 / 0.9802), { minEffect: 0.02 }).verdict, 'slower');
  assert.equal(compareTimings(Array(20).fill(1), Array(20).fill(1 / 0.99), { minEffect: 0.02 }).verdict, 'no-significant-difference');
  // Exactly at the threshold is slower, as exactly 1 + minimum effect is faster.
  assert.equal(compareTimings(Array(20).fill(1), Array(20).fill(1.25), { minEffect: 0.25 }).verdict, 'slower');
  assert.equal(compareTimings(Array(20).fill(1.25), Array(20).fill(1), { minEffect: 0.25 }).verdict, 'faster');
});
