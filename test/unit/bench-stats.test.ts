import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coefficientOfVariation, compareTimings, mad, median, medianCI, quantile, summarize } from '../../server/src/derive/stats';
import { medianInPlace, signedRankTest } from '../../server/src/derive/compare';
import { mulberry32, normalSampler } from '../../server/src/derive/prng';
import { normalCdf, normalQuantile } from '../../server/src/derive/normal';

function normalSample(seed: number, n: number, mu: number, sigma: number): number[] {
  const z = normalSampler(mulberry32(seed));
  return Array.from({ length: n }, () => mu + sigma * z());
}

test('median and type-7 percentiles on hand-checked data', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  // sorted 1..10: h = 9·0.1 = 0.9 → 1 + 0.9·1 = 1.9; h = 9·0.9 = 8.1 → 9 + 0.1 = 9.1
  const xs = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  assert.ok(Math.abs(quantile(xs, 0.1) - 1.9) < 1e-12);
  assert.ok(Math.abs(quantile(xs, 0.9) - 9.1) < 1e-12);
  assert.equal(quantile(xs, 0), 1);
  assert.equal(quantile(xs, 1), 10);
  assert.throws(() => median([]), /empty/);
  assert.throws(() => median([1, Number.NaN]), /element 1/);
});

test('the bootstrap quickselect median equals the sorted median, ties and sorted runs included', () => {
  const r = mulberry32(1);
  for (let t = 0; t < 5000; t++) {
    const n = 1 + Math.floor(r() * 40);
    const xs = Array.from({ length: n }, () => Math.floor(r() * 6));
    assert.equal(medianInPlace(Float64Array.from(xs)), median(xs), `[${xs.join(', ')}]`);
  }
  const ascending = Float64Array.from({ length: 1000 }, (_, i) => i);
  assert.equal(medianInPlace(ascending), 499.5);
  assert.equal(medianInPlace(Float64Array.from({ length: 999 }, (_, i) => 999 - i)), 500);
});

test('CV of a constant is 0; CV and MAD of normal data estimate σ/μ and σ', () => {
  assert.equal(coefficientOfVariation([2, 2, 2, 2]), 0);
  assert.ok(Number.isNaN(coefficientOfVariation([2])));
  const xs = normalSample(7, 20000, 10, 0.5);
  assert.ok(Math.abs(coefficientOfVariation(xs) - 0.05) < 0.002, `cv ${coefficientOfVariation(xs)}`);
  assert.ok(Math.abs(mad(xs) - 0.5) < 0.02, `mad ${mad(xs)}`);
  assert.ok(Math.abs(median(xs) - 10) < 0.02);
});

test('normal CDF and quantile agree with tables', () => {
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
  assert.ok(Math.abs(normalCdf(-1) - 0.158655) < 1e-6);
});

test('median CI uses exact binomial order statistics', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  const ci = medianCI(xs);
  // Binomial(100, ½): P(B ≤ 39) = 0.0176 ≤ 0.025 < P(B ≤ 40) = 0.0284 → ranks 40 and 61, coverage 96.48 %.
  assert.equal(ci.lowRank, 40);
  assert.equal(ci.highRank, 61);
  assert.equal(ci.low, 40);
  assert.equal(ci.high, 61);
  assert.ok(Math.abs(ci.confidence - 0.9648) < 0.0005, `coverage ${ci.confidence}`);
  assert.equal(ci.fallback, undefined);
});

test('median CI falls back to the range for small n and says so', () => {
  const five = medianCI([5, 1, 4, 2, 3]);
  assert.equal(five.fallback, 'range');
  assert.deepEqual([five.low, five.high], [1, 5]);
  assert.ok(Math.abs(five.confidence - (1 - 2 / 32)) < 1e-12);
  const six = medianCI([1, 2, 3, 4, 5, 6]);
  assert.equal(six.fallback, undefined); // 1 − 2/64 = 96.9 % ≥ 95 %
  assert.equal(medianCI([3]).fallback, 'single');
});

test('the 95 % median CI covers the true median in 95 ± 3 % of 1000 repetitions', () => {
  for (const n of [30, 100]) {
    let covered = 0;
    let claimed = 0;
    for (let rep = 0; rep < 1000; rep++) {
      const ci = medianCI(normalSample(1000 + rep, n, 5, 1));
      if (ci.low <= 5 && 5 <= ci.high) covered++;
      claimed = ci.confidence;
    }
    const rate = covered / 1000;
    assert.ok(rate >= 0.92 && rate <= 0.98, `n=${n}: coverage ${rate}`);
    // And the claimed exact coverage is what we observe, within sampling error (σ ≈ 0.6 %).
    assert.ok(Math.abs(rate - claimed) < 0.025, `n=${n}: observed ${rate} vs claimed ${claimed}`);
  }
});

test('summary counts Tukey outliers without removing them', () => {
  const xs = [...Array.from({ length: 99 }, (_, i) => 1 + (i % 10) * 0.001), 50];
  const s = summarize(xs);
  assert.equal(s.n, 100);
  assert.equal(s.outliers.high, 1);
  assert.equal(s.max, 50);
  assert.ok(s.median < 1.01);
  assert.ok(s.ciHalfWidthRel < 0.01);
  // Fences at the quartiles ± 1.5 · IQR: with q1 = 3.25 and q3 = 7.75 the upper fence is 14.5, so 20 is outside it.
  assert.deepEqual(summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 20]).outliers, { low: 0, high: 1 });
});

test('signed-rank test: exact p for a hand-computed case', () => {
  // Five positive differences with distinct ranks: W+ = 15 is the most extreme of 2⁵ sign patterns → p = 2/32.
  const t = signedRankTest([0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.equal(t.method, 'exact');
  assert.equal(t.wPlus, 15);
  assert.ok(Math.abs(t.pValue - 2 / 32) < 1e-12);
  assert.equal(signedRankTest([0, 0, 0]).pValue, 1);
});

/** Interleaved timings: a shared slow drift (clock throttling) plus independent per-launch noise. */
function interleaved(seed: number, n: number, shift: number, drift = 0.0, noise = 0.03): { a: number[]; b: number[] } {
  const z = normalSampler(mulberry32(seed));
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = 1 + drift * (i / n);
    a.push(1.0 * d * (1 + noise * z()));
    b.push((1.0 / (1 + shift)) * d * (1 + noise * z()));
  }
  return { a, b };
}

test('interleaved comparison detects a 5 % shift with n = 100', () => {
  const { a, b } = interleaved(42, 100, 0.05);
  const r = compareTimings(a, b);
  assert.equal(r.verdict, 'faster', r.rule);
  assert.ok(r.speedup > 1.02 && r.speedup < 1.09, `speedup ${r.speedup}`);
  assert.ok(r.speedupCI.low > 1 && r.speedupCI.high > r.speedup && r.speedupCI.low < r.speedup);
  const back = compareTimings(b, a);
  assert.equal(back.verdict, 'slower', back.rule);
});

test('interleaved comparison reports no difference for identical distributions', () => {
  const { a, b } = interleaved(43, 100, 0);
  const r = compareTimings(a, b);
  assert.equal(r.verdict, 'no-significant-difference', r.rule);
  assert.ok(r.speedupCI.low < 1 && r.speedupCI.high > 1);
  // False-"faster" rate over many seeds stays near α = 1 %, even with a 20 % drift over the run.
  let claims = 0;
  for (let s = 0; s < 300; s++) {
    const x = interleaved(5000 + s, 100, 0, 0.2);
    if (compareTimings(x.a, x.b, { resamples: 50 }).verdict !== 'no-significant-difference') claims++;
  }
  assert.ok(claims <= 9, `${claims} of 300 identical pairs called different`);
});

test('the speedup CI resamples pairs together, so a drift shared by both sides does not widen it', () => {
  // Clocks slow down 2× over the run; per-launch noise is 0.2 %. Unpaired resampling would give a ±10 % interval.
  const { a, b } = interleaved(5, 100, 0.05, 1.0, 0.002);
  const r = compareTimings(a, b);
  assert.ok(r.speedupCI.high - r.speedupCI.low < 0.03, `CI ${r.speedupCI.low}–${r.speedupCI.high}`);
  assert.ok(r.speedupCI.low > 1);
  assert.equal(r.verdict, 'faster', r.rule);
});

test('a significant but tiny difference is below the minimum effect', () => {
  // 0.5 % faster with 0.1 % noise: overwhelmingly significant, but under the 1 % minimum effect.
  const z = normalSampler(mulberry32(8));
  const a = Array.from({ length: 200 }, () => 1 + 0.001 * z());
  const b = Array.from({ length: 200 }, () => (1 + 0.001 * z()) / 1.005);
  const r = compareTimings(a, b);
  assert.ok(r.test.pValue < 1e-10);
  assert.equal(r.verdict, 'no-significant-difference');
  assert.match(r.rule, /within the 1 % minimum effect/);
  assert.equal(compareTimings(a, b, { minEffect: 0.002 }).verdict, 'faster');
});

test('comparison is reproducible from its seed and validates its input', () => {
  const { a, b } = interleaved(44, 60, 0.02);
  assert.deepEqual(compareTimings(a, b, { seed: 9 }), compareTimings(a, b, { seed: 9 }));
  assert.throws(() => compareTimings([1, 2, 3], [1, 2]), /pair up/);
  assert.throws(() => compareTimings([1, 0], [1, 1]), /baseline sample 1/);
});

test('medians that favour the candidate are not "faster" when the paired test says it lost most pairs', { timeout: 10_000 }, () => {
  // 21 pairs. In 20 the candidate is 0.1 % slower; in one it is 2× faster. The marginal medians happen to
  // favour the candidate 2× (its 11th-smallest time is the fast one), but pair by pair it lost 20 of 21:
  // W+ sits far below its null mean and p ≈ 2e-4.
  const baseline = [...Array<number>(10).fill(1), ...Array<number>(11).fill(10)];
  const candidate = baseline.map((b, i) => (i === 10 ? 5 : b * 1.001));
  const r = compareTimings(baseline, candidate);
  assert.ok(r.speedup >= 1.99, `medians: speedup ${r.speedup}`);
  assert.ok(r.test.pValue < r.alpha, `p ${r.test.pValue}`);
  assert.ok(r.test.wPlus < r.test.nullMean);
  assert.equal(r.verdict, 'no-significant-difference', r.rule);
  assert.match(r.rule, /disagrees with the paired direction/);
  // The mirror image is not "slower" either.
  assert.equal(compareTimings(candidate, baseline).verdict, 'no-significant-difference');
});
