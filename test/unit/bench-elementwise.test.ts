// The element-by-element judgements the probes are made of, at their edges: the error figures a match records,
// where the first failure is, integers beyond 2^53, non-finite values on either side, leftover poison counted on
// both sides, the trivial outputs a weak spec would let through, and bitwise reproducibility.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bitwiseDiff, countPoison, finiteMean, matchValues, trivialPasses } from '../../server/src/bench/elementwise';

const FP32 = { rtol: 1e-4, atol: 1e-4 };
const EXACT = { rtol: 0, atol: 0 };

test('a match records the largest absolute and relative errors and the first failing element', { timeout: 10_000 }, () => {
  const baseline = Float64Array.from([1, -2, 0, 4, 8]);
  const candidate = Float64Array.from([1.00005, -2.5, 0.00005, 4, 7]);
  const m = matchValues(baseline, candidate, FP32, [5]);
  assert.equal(m.elements, 5);
  assert.equal(m.failures, 2);
  assert.equal(m.maxAbsErr, 1);
  // |Δ|/|b| over b ≠ 0: 0.5/2 and 1/8; the element with b = 0 does not count.
  assert.equal(m.maxRelErr, 0.25);
  assert.deepEqual(m.first, { flat: 1, index: [1], baseline: '-2', candidate: '-2.5', why: 'tolerance', absErr: 0.5, allowed: 1e-4 + 1e-4 * 2 });
  // Right at the allowed error passes; just beyond fails.
  const quarter = { atol: 0.25, rtol: 0.25 };
  assert.equal(matchValues(Float64Array.from([2, -2]), Float64Array.from([2.75, -2.75]), quarter).failures, 0);
  assert.equal(matchValues(Float64Array.from([2]), Float64Array.from([2.7500001]), quarter).failures, 1);
  assert.equal(matchValues(Float64Array.from([-2]), Float64Array.from([-2.7500001]), quarter).failures, 1);
});

test('errors shrinking along the array keep the largest; a multi-dimensional shape names the index', { timeout: 10_000 }, () => {
  const m = matchValues(Float32Array.from([1, 1, 1, 1, 1, 1]), Float32Array.from([1, 1.5, 1.25, 1, 1, 3]), FP32, [2, 3]);
  assert.equal(m.maxAbsErr, 2);
  assert.equal(m.maxRelErr, 2);
  assert.deepEqual(m.first?.index, [0, 1]);
  const falling = matchValues(Float32Array.from([1, 1]), Float32Array.from([3, 1.5]), FP32);
  assert.equal(falling.maxAbsErr, 2);
  assert.equal(falling.maxRelErr, 2);
});

test('non-finite values fail on either side and are counted apart', { timeout: 10_000 }, () => {
  const m = matchValues(Float32Array.from([Number.NaN, 1, Number.POSITIVE_INFINITY, 1]), Float32Array.from([Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 1]), FP32);
  assert.equal(m.failures, 3);
  assert.equal(m.nonFiniteBaseline, 2);
  assert.equal(m.nonFiniteCandidate, 1);
  assert.equal(m.first?.why, 'non-finite-baseline');
  assert.ok(Number.isNaN(m.first?.absErr));
  assert.equal(m.first?.allowed, undefined);
  assert.equal(matchValues(Float32Array.from([1, 2]), Float32Array.from([1, Number.NaN]), FP32).first?.why, 'non-finite-candidate');
  assert.throws(() => matchValues(Float32Array.from([1]), Float32Array.from([1, 2]), FP32), RangeError);
});

test('64-bit integers are compared exactly, in both directions, with their relative error', { timeout: 10_000 }, () => {
  const big = 2n ** 60n;
  const m = matchValues(BigInt64Array.from([big, big, -4n, 0n]), BigInt64Array.from([big + 3n, big - 1n, -6n, 0n]), EXACT, [4]);
  assert.equal(m.failures, 3);
  assert.equal(m.maxAbsErr, 3);
  assert.equal(m.maxRelErr, 0.5);
  // The largest relative error, not the last one with a larger |Δ|·|b|.
  assert.equal(matchValues(BigInt64Array.from([4n, 100n]), BigInt64Array.from([6n, 101n]), EXACT).maxRelErr, 0.5);
  assert.deepEqual(m.first, { flat: 0, index: [0], baseline: String(big), candidate: String(big + 3n), why: 'tolerance', absErr: 3, allowed: 0 });
  // A tolerance applies to them as to floats: |Δ| ≤ atol + rtol·|b|.
  assert.equal(matchValues(BigUint64Array.from([100n, 200n]), BigUint64Array.from([102n, 196n]), { atol: 0, rtol: 0.02 }).failures, 0);
  assert.equal(matchValues(BigUint64Array.from([100n, 200n]), BigUint64Array.from([103n, 195n]), { atol: 0, rtol: 0.02 }).failures, 2);
  assert.equal(matchValues(BigInt64Array.from([10n]), BigInt64Array.from([12n]), { atol: 1, rtol: 0.1 }).failures, 0);
  assert.equal(matchValues(BigInt64Array.from([10n]), BigInt64Array.from([13n]), { atol: 1, rtol: 0.1 }).failures, 1);
  // Either side being 64-bit decides the exact path.
  assert.equal(matchValues(BigInt64Array.from([big]), BigInt64Array.from([big + 1n]), EXACT).failures, 1);
});

test('leftover poison is counted where the baseline wrote, and the baseline’s own gaps apart, to the last element', { timeout: 10_000 }, () => {
  const P = 0xffffffff;
  const baseline = Uint32Array.from([1, P, 3, 4, 5]);
  const candidate = Uint32Array.from([P, P, 3, P, P]);
  const s = countPoison(candidate, BigInt(P), baseline, BigInt(P), [5]);
  assert.deepEqual(s, { unwritten: 3, baselineUnwritten: 1, first: { flat: 0, index: [0] } });
  const last = countPoison(Uint32Array.from([1, 2, P]), BigInt(P), Uint32Array.from([1, 2, 3]), BigInt(P));
  assert.deepEqual(last, { unwritten: 1, baselineUnwritten: 0, first: { flat: 2, index: [2] } });
  // 64-bit elements compare as bigints.
  const p64 = 0xffffffffffffffffn;
  assert.equal(countPoison(BigUint64Array.from([p64, 1n]), p64, BigUint64Array.from([7n, 1n]), p64).unwritten, 1);
  assert.deepEqual(countPoison(Uint8Array.from([1, 2]), 0xabn, Uint8Array.from([1, 2]), 0xabn), { unwritten: 0, baselineUnwritten: 0 });
});

test('trivial outputs: zeros or a constant pass only where every element is within tolerance and finite', { timeout: 10_000 }, () => {
  const tiny = Float32Array.from([1e-5, -2e-5, 5e-5]);
  assert.equal(trivialPasses(tiny, 0, FP32), true);
  assert.equal(trivialPasses(Float32Array.from([1e-5, 1]), 0, FP32), false);
  assert.equal(trivialPasses(Float32Array.from([Number.NaN]), 0, FP32), false);
  assert.equal(trivialPasses(Float32Array.from([1]), Number.POSITIVE_INFINITY, FP32), false);
  assert.equal(trivialPasses(Float64Array.from([2]), 2.75, { atol: 0.25, rtol: 0.25 }), true, 'exactly at atol + rtol·|b|');
  assert.equal(trivialPasses(Float64Array.from([-2]), -2.7500001, { atol: 0.25, rtol: 0.25 }), false);
  assert.equal(trivialPasses(Float32Array.from([2, 3]), Float32Array.from([2, 3]), EXACT), true, 'an output equal to an input');
  assert.equal(trivialPasses(Float32Array.from([2, 3]), Float32Array.from([2, 4]), EXACT), false);
  assert.equal(finiteMean(Float32Array.from([1, 2, Number.NaN, 6, Number.POSITIVE_INFINITY])), 3);
  assert.equal(finiteMean(Float32Array.from([Number.NaN])), 0);
  assert.equal(finiteMean(Int32Array.from([-4, 10])), 3);
});

test('bitwise difference counts every differing element and names the first, to the last one', { timeout: 10_000 }, () => {
  assert.deepEqual(bitwiseDiff(Uint32Array.from([1, 2, 3, 4]), Uint32Array.from([1, 9, 3, 8]), [2, 2]), { differing: 2, first: { flat: 1, index: [0, 1] } });
  assert.deepEqual(bitwiseDiff(Uint16Array.from([1, 2]), Uint16Array.from([1, 3])), { differing: 1, first: { flat: 1, index: [1] } });
  assert.deepEqual(bitwiseDiff(Uint8Array.from([5]), Uint8Array.from([5])), { differing: 0 });
  assert.throws(() => bitwiseDiff(Uint8Array.from([1]), Uint8Array.from([1, 2])), RangeError);
});
