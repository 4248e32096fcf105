// bench/elementwise.ts and bench/dtype.ts: the element-by-element semantics the gate's comparison kernel implements
// (kp_compare.cuh; gate-compare.test.ts proves the two agree), on decoded arrays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16ToFloat, decodeValues, halfToFloat } from '../../server/src/bench/dtype';
import { bitwiseDiff, countPoison, matchValues, trivialPasses } from '../../server/src/bench/elementwise';
import { unravelIndex } from '../../server/src/derive/shapes';
import { POISON_BYTE, poisonPattern } from '../../server/src/harness/poison';

test('float16 and bfloat16 bits decode exactly', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7c00), Number.POSITIVE_INFINITY);
  assert.equal(halfToFloat(0xfc00), Number.NEGATIVE_INFINITY);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
  assert.equal(bfloat16ToFloat(0x3f80), 1);
  assert.equal(bfloat16ToFloat(0xc0a0), -5);
  assert.equal(bfloat16ToFloat(0x4049), 3.140625);
  assert.ok(Number.isNaN(bfloat16ToFloat(Number(poisonPattern(POISON_BYTE.bfloat16, 2)))));
  assert.ok(Number.isNaN(halfToFloat(Number(poisonPattern(POISON_BYTE.float16, 2)))));
  // Through the array decoder, from an odd byte offset (as Buffer pools hand out).
  const raw = new Uint8Array(7);
  raw.set([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b], 1);
  assert.deepEqual([...decodeValues(raw.subarray(1), 'float16')], [1, -2, 65504]);
  assert.deepEqual([...decodeValues(new Uint8Array([0x80, 0x3f, 0xa0, 0xc0]), 'bfloat16')], [1, -5]);
  assert.throws(() => decodeValues(new Uint8Array(3), 'float16'), /not a whole number/);
  assert.deepEqual(unravelIndex(2 * 8 * 3 + 8 + 5, [4, 3, 8]), [2, 1, 5]);
});

test('match: the tolerance scales with |baseline|; NaN or Inf on either side fails; the first failure is named', () => {
  const tol = { atol: 1e-4, rtol: 1e-3 };
  const b = Float32Array.from([1, 1000, 0, 5, Number.POSITIVE_INFINITY]);
  const ok = matchValues(b.subarray(0, 3), Float32Array.from([1.00005, 1000.9, 0.00009]), tol);
  assert.equal(ok.failures, 0);
  const bad = matchValues(b, Float32Array.from([1, 1002, Number.NaN, 5, Number.POSITIVE_INFINITY]), tol, [5]);
  assert.equal(bad.failures, 3);
  assert.equal(bad.nonFiniteCandidate, 1);
  assert.equal(bad.nonFiniteBaseline, 1, 'Inf on both sides still fails');
  assert.equal(bad.first?.flat, 1);
  assert.equal(bad.first?.why, 'tolerance');
  assert.equal(bad.maxAbsErr, 2);
});

test('int64 values beyond 2^53 are compared exactly', () => {
  const b = BigInt64Array.from([2n ** 60n, 7n]);
  const c = BigInt64Array.from([2n ** 60n + 1n, 7n]);
  const m = matchValues(b, c, { atol: 0, rtol: 0 });
  assert.equal(m.failures, 1);
  assert.equal(m.first?.candidate, '1152921504606846977');
});

test('poison: unwritten only where the baseline is not poison itself (integer sentinels the baseline computes)', () => {
  const p = Number(poisonPattern(POISON_BYTE.int32, 4));
  const baseline = Uint32Array.from([p, 1, 2, 3]);
  const candidate = Uint32Array.from([p, p, 2, 3]);
  const stats = countPoison(candidate, BigInt(p), baseline, BigInt(p), [4]);
  assert.equal(stats.unwritten, 1);
  assert.equal(stats.baselineUnwritten, 1);
  assert.deepEqual(stats.first?.index, [1]);
});

test('trivial outputs and bitwise differences', () => {
  const tol = { atol: 1e-3, rtol: 0 };
  assert.equal(trivialPasses(Float32Array.from([0.0001, -0.0002]), 0, tol), true);
  assert.equal(trivialPasses(Float32Array.from([0.0001, 0.5]), 0, tol), false);
  assert.equal(trivialPasses(Float32Array.from([1, 2]), Float32Array.from([1, 2]), tol), true);
  assert.deepEqual(bitwiseDiff(Uint32Array.from([1, 2, 3]), Uint32Array.from([1, 5, 6])), { differing: 2, first: { flat: 1, index: [1] } });
});
