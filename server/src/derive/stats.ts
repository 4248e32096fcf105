// Descriptive statistics of timing samples. Kernel times are right-skewed (preemption, clock changes, a slow
// first launch), so the headline number is the median with a distribution-free confidence interval; the mean
// and stddev are kept for the coefficient of variation only.

export { compareTimings } from './compare';
export type { TimingComparison, CompareOptions, ComparisonVerdict } from './compare';

/** Sorted copy; throws on an empty or non-finite sample so a bad harness report never becomes a statistic. */
export function sortedCopy(xs: readonly number[], what = 'sample'): number[] {
  if (xs.length === 0) throw new RangeError(`${what}: empty sample`);
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(xs[i])) throw new RangeError(`${what}: element ${i} is ${xs[i]}, not a finite number`);
  }
  return [...xs].sort((a, b) => a - b);
}

/**
 * Quantile by linear interpolation between order statistics: Hyndman & Fan type 7 (the default of R's
 * `quantile`, NumPy's `percentile` and Excel's PERCENTILE.INC). With sorted x[0..n-1], h = (n − 1)·p and
 * Q(p) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). Q(0) = min, Q(1) = max, Q(0.5) = the usual median.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile: p must be in [0, 1], got ${p}`);
  if (sorted.length === 0) throw new RangeError('quantile: empty sample');
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function quantile(xs: readonly number[], p: number): number {
  return quantileSorted(sortedCopy(xs, 'quantile'), p);
}

export function median(xs: readonly number[]): number {
  return quantileSorted(sortedCopy(xs, 'median'), 0.5);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('mean: empty sample');
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 denominator); NaN for n < 2, where it is undefined. */
export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** stddev / mean. 0 for a constant sample; NaN when undefined (n < 2, or mean ≤ 0, which no timing has). */
export function coefficientOfVariation(xs: readonly number[]): number {
  const m = mean(xs);
  if (xs.length < 2 || !(m > 0)) return Number.NaN;
  return stddev(xs) / m;
}

/** P(B ≤ j) for j = 0..n, B ~ Binomial(n, 1/2), summed in log space so large n neither under- nor overflows. */
function binomialHalfCdf(n: number): number[] {
  const cdf: number[] = new Array<number>(n + 1);
  let logPmf = n * Math.log(0.5);
  let acc = 0;
  for (let j = 0; j <= n; j++) {
    acc += Math.exp(logPmf);
    cdf[j] = Math.min(1, acc);
    logPmf += Math.log((n - j) / (j + 1));
  }
  return cdf;
}

export interface MedianCI {
  low: number;
  high: number;
  /** The coverage actually achieved by the chosen order statistics (≥ the requested one unless `fallback`). */
  confidence: number;
  requested: number;
  /** 1-based ranks of the order statistics used. */
  lowRank: number;
  highRank: number;
  /**
   * `range`: n was too small to reach the requested coverage, so [min, max] is returned with its (lower)
   * coverage 1 − 2·0.5ⁿ (n = 5 gives 93.8 %). `single`: n = 1, a zero-width interval with no coverage claim.
   */
  fallback?: 'range' | 'single';
}

/**
 * Distribution-free confidence interval of the median from binomial order statistics. For a continuous
 * distribution the number of samples below the true median is Binomial(n, 1/2), so the interval
 * [x₍k₎, x₍n+1−k₎] covers it with probability 1 − 2·P(B ≤ k − 1). We take the largest k (the narrowest interval)
 * whose coverage is still ≥ the requested level — exact, therefore slightly conservative (n = 100: 96.5 %).
 * Ties in the data only make the interval wider in rank terms, never narrower, so coverage still holds.
 */
export function medianCI(xs: readonly number[], confidence = 0.95): MedianCI {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`medianCI: confidence must be in (0, 1), got ${confidence}`);
  const sorted = sortedCopy(xs, 'medianCI');
  const n = sorted.length;
  if (n === 1) return { low: sorted[0], high: sorted[0], confidence: 0, requested: confidence, lowRank: 1, highRank: 1, fallback: 'single' };
  const cdf = binomialHalfCdf(n);
  // [x₍k₎, x₍n+1−k₎] misses the median when at most k − 1 samples lie below it, or (symmetrically) above it.
  const coverage = (k: number): number => 1 - 2 * cdf[k - 1];
  // coverage(k) falls as k grows; k ≤ ⌊(n+1)/2⌋ keeps low ≤ high.
  let k = 1;
  while (k + 1 <= Math.floor((n + 1) / 2) && coverage(k + 1) >= confidence) k++;
  const achieved = coverage(k);
  const ci: MedianCI = { low: sorted[k - 1], high: sorted[n - k], confidence: achieved, requested: confidence, lowRank: k, highRank: n + 1 - k };
  if (achieved < confidence) ci.fallback = 'range';
  return ci;
}

/** Median absolute deviation, scaled by 1.4826 so that it estimates σ for normal data. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return 1.4826 * median(xs.map((x) => Math.abs(x - m)));
}

export interface SampleSummary {
  n: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  /** stddev / mean (NaN for n < 2). */
  cv: number;
  median: number;
  /** Type-7 (linear interpolation) percentiles. */
  p10: number;
  p90: number;
  q1: number;
  q3: number;
  /** Scaled median absolute deviation: a robust σ. */
  mad: number;
  medianCI: MedianCI;
  /** Half-width of the median CI relative to the median: the "±" shown next to a time. */
  ciHalfWidthRel: number;
  /**
   * Samples outside Tukey's fences [q1 − 1.5·IQR, q3 + 1.5·IQR]. Counted, not removed: the median and its CI
   * are already robust to them, and dropping samples would make the record harder to re-derive.
   */
  outliers: { low: number; high: number };
}

export function summarize(xs: readonly number[], confidence = 0.95): SampleSummary {
  const sorted = sortedCopy(xs, 'summarize');
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const iqr = q3 - q1;
  const med = quantileSorted(sorted, 0.5);
  const ci = medianCI(sorted, confidence);
  let low = 0;
  let high = 0;
  for (const x of sorted) {
    if (x < q1 - 1.5 * iqr) low++;
    else if (x > q3 + 1.5 * iqr) high++;
  }
  return {
    n: sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: mean(sorted),
    stddev: stddev(sorted),
    cv: coefficientOfVariation(sorted),
    median: med,
    p10: quantileSorted(sorted, 0.1),
    p90: quantileSorted(sorted, 0.9),
    q1,
    q3,
    mad: mad(sorted),
    medianCI: ci,
    ciHalfWidthRel: med > 0 ? (ci.high - ci.low) / 2 / med : Number.NaN,
    outliers: { low, high },
  };
}
