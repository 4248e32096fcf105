// Is the candidate faster than the baseline? The driver times the two binaries INTERLEAVED (A B A B …), so
// sample i of each side was taken at nearly the same moment and shares its clock state, temperature and
// background load. The decision uses that pairing.
//
// THE RULE (documented in every result's `rule` string too):
//   d_i = ln(baseline_i / candidate_i) for each pair. Under "no difference" the two launches of a pair are
//   exchangeable, so d_i is symmetric about 0 and the Wilcoxon signed-rank test is exact for it. Pairs with
//   d_i = 0 are dropped (Wilcoxon's convention); |d| ties get mid-ranks. The p-value is two-sided: from the exact
//   sign-flip distribution of W+ (conditional on the tie pattern) when ≤ 50 pairs remain, otherwise from the
//   normal approximation with tie correction and continuity correction.
//   The log-ratio makes the statistic invariant to a slow multiplicative drift shared by both sides (clocks
//   throttling over the run), which an unpaired test (Mann–Whitney) would count as noise.
//   verdict = 'faster'  when p < α AND speedup ≥ 1 + minEffect AND W+ is above its null mean (direction agrees)
//             'slower'  when p < α AND speedup ≤ 1 / (1 + minEffect) AND W+ is below its null mean
//             'no-significant-difference' otherwise.
//   Defaults α = 0.01 (an optimizer compares many candidates, so false "faster" must be rare) and minEffect =
//   1 % (smaller differences are within what clock and placement changes move between sessions).
//   speedup = median(baseline) / median(candidate); its CI is a paired percentile bootstrap (pairs resampled
//   together, seeded PRNG) of that same ratio. The CI is reported, the verdict does not depend on it.

import { mulberry32, randomIndex } from './prng';
import { twoSidedP } from './normal';
import { quantileSorted, sortedCopy } from './stats';

export type ComparisonVerdict = 'faster' | 'slower' | 'no-significant-difference';

export interface CompareOptions {
  /** Significance level of the signed-rank test. Default 0.01. */
  alpha?: number;
  /** Smallest relative change reported as a difference. Default 0.01 (1 %). */
  minEffect?: number;
  /** Confidence of the bootstrap interval of the speedup. Default 0.95. */
  confidence?: number;
  /** Bootstrap resamples. Default 2000. */
  resamples?: number;
  /** Seed of the bootstrap PRNG, kept so the interval re-derives exactly. Default 1. */
  seed?: number;
}

export interface SignedRankTest {
  name: 'wilcoxon-signed-rank';
  /** Pairs with a nonzero log-ratio (the ones ranked). */
  pairs: number;
  /** Sum of the ranks of pairs where the candidate was faster. */
  wPlus: number;
  /** Its mean under the null hypothesis, n(n+1)/4. */
  nullMean: number;
  method: 'exact' | 'normal';
  /** Present for the normal approximation. */
  z?: number;
  pValue: number;
}

export interface TimingComparison {
  pairs: number;
  baselineMedianMs: number;
  candidateMedianMs: number;
  /** baseline median / candidate median: > 1 means the candidate is faster. */
  speedup: number;
  speedupCI: { low: number; high: number; confidence: number; method: 'paired-percentile-bootstrap'; resamples: number; seed: number };
  test: SignedRankTest;
  alpha: number;
  minEffect: number;
  verdict: ComparisonVerdict;
  /** One sentence: which condition decided the verdict. */
  rule: string;
}

/**
 * Puts the k-th smallest element at index k, smaller ones before it and larger ones after (quickselect with
 * median-of-three pivots). Linear time on average: the bootstrap takes thousands of medians, and a full sort
 * each time made 10 000 pairs take seconds.
 */
function selectInPlace(v: Float64Array, k: number): number {
  let lo = 0;
  let hi = v.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot, so sorted or reversed input does not degrade to quadratic time.
    const a = v[lo];
    const b = v[mid];
    const c = v[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return v[k];
}

/** Median of a scratch buffer (reordered in place), with the same interpolation as quantileSorted. */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  const k = (n - 1) >> 1;
  const lower = selectInPlace(values, k);
  if (n % 2 === 1) return lower;
  // Even n: the other middle element is the smallest of everything after index k.
  let upper = Number.POSITIVE_INFINITY;
  for (let i = k + 1; i < n; i++) if (values[i] < upper) upper = values[i];
  return (lower + upper) / 2;
}

/** Mid-ranks (1-based) of |d|, and Σ(t³ − t) over tie groups for the variance correction. */
function midRanks(abs: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = abs.map((_, i) => i).sort((a, b) => abs[a] - abs[b]);
  const ranks = new Array<number>(abs.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && abs[order[j + 1]] === abs[order[i]]) j++;
    const rank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    const t = j - i + 1;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  return { ranks, tieTerm };
}

/**
 * Exact two-sided p-value of W+ under random independent signs, by dynamic programming over the distribution
 * of the signed rank sum. Mid-ranks are multiples of 1/2, so sums are counted in half-rank units.
 */
function exactSignedRankP(ranks: readonly number[], wPlus: number): number {
  const units = ranks.map((r) => Math.round(r * 2));
  const total = units.reduce((a, b) => a + b, 0);
  let dist = new Float64Array(total + 1);
  dist[0] = 1;
  for (const u of units) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= total; s++) {
      if (dist[s] === 0) continue;
      next[s] += dist[s] * 0.5;
      next[s + u] += dist[s] * 0.5;
    }
    dist = next;
  }
  const w = Math.round(wPlus * 2);
  let lower = 0;
  let upper = 0;
  for (let s = 0; s <= total; s++) {
    if (s <= w) lower += dist[s];
    if (s >= w) upper += dist[s];
  }
  return Math.min(1, 2 * Math.min(lower, upper));
}

export function signedRankTest(logRatios: readonly number[]): SignedRankTest {
  const nonzero = logRatios.filter((d) => d !== 0);
  const n = nonzero.length;
  const nullMean = (n * (n + 1)) / 4;
  if (n === 0) return { name: 'wilcoxon-signed-rank', pairs: 0, wPlus: 0, nullMean: 0, method: 'exact', pValue: 1 };
  const { ranks, tieTerm } = midRanks(nonzero.map(Math.abs));
  let wPlus = 0;
  for (let i = 0; i < n; i++) if (nonzero[i] > 0) wPlus += ranks[i];
  if (n <= 50) return { name: 'wilcoxon-signed-rank', pairs: n, wPlus, nullMean, method: 'exact', pValue: exactSignedRankP(ranks, wPlus) };
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const diff = wPlus - nullMean;
  // Continuity correction: move half a rank toward the null mean.
  const z = variance > 0 ? (diff - 0.5 * Math.sign(diff)) / Math.sqrt(variance) : 0;
  return { name: 'wilcoxon-signed-rank', pairs: n, wPlus, nullMean, method: 'normal', z, pValue: twoSidedP(z) };
}

function checkTimes(xs: readonly number[], side: string): void {
  xs.forEach((x, i) => {
    if (!(Number.isFinite(x) && x > 0)) throw new RangeError(`compareTimings: ${side} sample ${i} is ${x}; times must be finite and > 0 ms`);
  });
}

export function compareTimings(baselineMs: readonly number[], candidateMs: readonly number[], options: CompareOptions = {}): TimingComparison {
  const alpha = options.alpha ?? 0.01;
  const minEffect = options.minEffect ?? 0.01;
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 1;
  if (baselineMs.length !== candidateMs.length) {
    throw new RangeError(`compareTimings: interleaved samples must pair up, got ${baselineMs.length} baseline and ${candidateMs.length} candidate times`);
  }
  if (baselineMs.length < 2) throw new RangeError(`compareTimings: need at least 2 pairs, got ${baselineMs.length}`);
  checkTimes(baselineMs, 'baseline');
  checkTimes(candidateMs, 'candidate');
  const n = baselineMs.length;
  const baselineMedianMs = quantileSorted(sortedCopy(baselineMs), 0.5);
  const candidateMedianMs = quantileSorted(sortedCopy(candidateMs), 0.5);
  const speedup = baselineMedianMs / candidateMedianMs;

  const rand = mulberry32(seed);
  const ratios = new Float64Array(resamples);
  const b = new Float64Array(n);
  const c = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const j = randomIndex(rand, n);
      b[i] = baselineMs[j];
      c[i] = candidateMs[j];
    }
    ratios[r] = medianInPlace(b) / medianInPlace(c);
  }
  ratios.sort();
  const tail = (1 - confidence) / 2;
  const speedupCI = {
    low: quantileSorted(ratios, tail),
    high: quantileSorted(ratios, 1 - tail),
    confidence,
    method: 'paired-percentile-bootstrap' as const,
    resamples,
    seed,
  };

  const test = signedRankTest(baselineMs.map((x, i) => Math.log(x / candidateMs[i])));
  const direction = Math.sign(test.wPlus - test.nullMean);
  const pText = `p = ${test.pValue.toPrecision(3)} (Wilcoxon signed-rank on paired log-ratios, ${test.method})`;
  const effectText = `speedup ${speedup.toFixed(4)}×`;
  let verdict: ComparisonVerdict = 'no-significant-difference';
  let rule: string;
  if (test.pValue >= alpha) {
    rule = `${pText} ≥ α = ${alpha}: no significant difference`;
  } else if (speedup >= 1 + minEffect && direction > 0) {
    verdict = 'faster';
    rule = `${pText} < α = ${alpha} and ${effectText} ≥ 1 + ${minEffect}: faster`;
  } else if (speedup <= 1 / (1 + minEffect) && direction < 0) {
    verdict = 'slower';
    rule = `${pText} < α = ${alpha} and ${effectText} ≤ 1 / (1 + ${minEffect}): slower`;
  } else {
    rule = `${pText} < α = ${alpha}, but ${effectText} is within the ${minEffect * 100} % minimum effect or disagrees with the paired direction: no significant difference`;
  }
  return { pairs: n, baselineMedianMs, candidateMedianMs, speedup, speedupCI, test, alpha, minEffect, verdict, rule };
}
