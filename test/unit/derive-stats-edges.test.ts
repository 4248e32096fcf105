// Edges of the statistics shown beside a time (derive/stats.ts) that the mutation run (issue 15) found untested:
// the interval chosen when the requested coverage is met exactly or is low, and what is undefined.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coefficientOfVariation, medianCI, summarize } from '../../server/src/derive/stats';

const T = { timeout: 10_000 };

test('asking for exactly the coverage an interval achieves returns that interval, not a wider one or the range', T, () => {
  const xs = Array.from({ length: 40 }, (_, i) => i + 1);
  const at95 = medianCI(xs, 0.95);
  const exact = medianCI(xs, at95.confidence);
  assert.deepEqual([exact.lowRank, exact.highRank, exact.confidence], [at95.lowRank, at95.highRank, at95.confidence]);
  assert.equal(exact.fallback, undefined);
});

test('a low confidence may narrow the interval to the two middle samples, never past them', T, () => {
  // n = 4: [x₂, x₃] covers the median with probability 1 − 2·P(B ≤ 1) = 37.5 %.
  const ci = medianCI([4, 1, 3, 2], 0.3);
  assert.deepEqual([ci.low, ci.high, ci.lowRank, ci.highRank], [2, 3, 2, 3]);
  assert.equal(ci.confidence, 0.375);
  const lowest = medianCI([5, 1, 4, 2, 3], 0.01);
  assert.ok(lowest.low <= lowest.high, `[${lowest.low}, ${lowest.high}]`);
});

test('the spread of two samples is defined; of one it is not', T, () => {
  assert.ok(Math.abs(coefficientOfVariation([1, 3]) - Math.SQRT2 / 2) < 1e-12);
  assert.ok(Number.isNaN(coefficientOfVariation([2])));
  // Relative to a mean of zero or below (no timing has one) it is not defined either.
  assert.ok(Number.isNaN(coefficientOfVariation([-1, 1])));
  assert.ok(Number.isNaN(coefficientOfVariation([-3, -1])));
});

test('a median of zero has no relative half-width', T, () => {
  assert.ok(Number.isNaN(summarize([-1, 0, 1, -2, 2, 0]).ciHalfWidthRel));
  assert.ok(Math.abs(summarize([1, 2, 3, 4, 5, 6]).ciHalfWidthRel - 2.5 / 3.5) < 1e-12);
});
