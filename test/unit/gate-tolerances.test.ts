// What each dtype's default tolerance (benchspec/defaults.ts) makes the gate decide: one element off by a given
// amount, compared as the runtime compares it (bench/elementwise.ts, the specification of kp_compare.cuh), passes
// or fails `match`. fp32 and the half types follow KernelBench; fp64 is tight enough that a result computed in
// fp32 fails; integers and booleans must be exact. A spec's own tolerance replaces the default it names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toleranceFor } from '../../server/src/benchspec/defaults';
import type { BenchSpec, Dtype } from '../../server/src/benchspec/model';
import { probesOf, verdictOf } from '../../server/src/derive/probes';
import { bytesOf, check, compareOutput, evidence, spec } from './gate-evidence';

/** 32 elements of `dtype` holding `v` at index 3 and 1 elsewhere. */
function encode(dtype: Dtype, v: number): ArrayBufferView {
  const values = Array.from({ length: 32 }, (_, i) => (i === 3 ? v : 1));
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    // Values in [1, 2): the exponent bits of 1 plus the fraction in the format's mantissa steps.
    case 'float16': return Uint16Array.from(values, (x) => 0x3c00 + (x - 1) * 1024);
    case 'bfloat16': return Uint16Array.from(values, (x) => 0x3f80 + (x - 1) * 128);
    case 'int8': return Int8Array.from(values);
    case 'uint8': case 'bool': return Uint8Array.from(values);
    case 'int16': return Int16Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'uint32': return Uint32Array.from(values);
    case 'int64': return BigInt64Array.from(values, BigInt);
    case 'uint64': return BigUint64Array.from(values, BigInt);
  }
}

/** Is a candidate whose element 3 is `value` (the baseline's is 1) accepted under `on`'s tolerance? */
function accepted(dtype: Dtype, value: number, on: BenchSpec = spec): boolean {
  const typed: BenchSpec = { ...on, args: on.args.map((a) => ({ ...a, dtype })) };
  const out = compareOutput('out', dtype, toleranceFor(typed, dtype), bytesOf(encode(dtype, 1)), bytesOf(encode(dtype, value)), [4, 8]);
  return verdictOf(probesOf(typed, evidence({ checks: [check(1), check(2, out), check(3)] }))).accepted;
}

test('fp32: an error of 5e-4 at 1 fails, 5e-5 passes; fp64: a result rounded to fp32 fails', { timeout: 10_000 }, () => {
  assert.equal(accepted('float32', 1 + 5e-4), false, 'fp32 |Δ| 5e-4 > 1e-4 + 1e-4·1');
  assert.equal(accepted('float32', 1 + 5e-5), true, 'fp32 |Δ| 5e-5 is within');
  assert.equal(accepted('float32', 1 + 1.9e-4), true, 'fp32: atol and rtol add up');
  assert.equal(accepted('float64', 1 + 2 ** -23), false, 'an fp64 result computed in fp32 fails');
  assert.equal(accepted('float64', 1 + 1e-12), true);
});

test('half types: a step of 2^-7 at 1 passes, 2^-4 fails', { timeout: 10_000 }, () => {
  for (const dtype of ['float16', 'bfloat16'] as const) {
    assert.equal(accepted(dtype, 1.0078125), true, `${dtype}: |Δ| 2^-7 is within 1e-2 + 1e-2·1`);
    assert.equal(accepted(dtype, 1.0625), false, `${dtype}: |Δ| 2^-4 is not`);
  }
});

test('integers and booleans: off by one fails', { timeout: 10_000 }, () => {
  for (const dtype of ['int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool'] as const) {
    assert.equal(accepted(dtype, dtype === 'bool' ? 0 : 2), false, `${dtype}: off by one passes`);
    assert.equal(accepted(dtype, 1), true, dtype);
  }
});

test("a spec's tolerance replaces the default for its dtype only, field by field", { timeout: 10_000 }, () => {
  const loose: BenchSpec = { ...spec, tolerance: { float32: { atol: 1e-2, rtol: 0 } } };
  assert.equal(accepted('float32', 1 + 5e-3, loose), true);
  assert.equal(accepted('float32', 1 + 2e-2, loose), false);
  const atolOnly: BenchSpec = { ...spec, tolerance: { float32: { atol: 0 } } as BenchSpec['tolerance'] };
  assert.equal(accepted('float32', 1 + 9e-5, atolOnly), true, 'the default rtol 1e-4 stays');
  assert.equal(accepted('float32', 1 + 1.5e-4, atolOnly), false, 'atol 0 now');
  assert.equal(accepted('float64', 1 + 2 ** -23, loose), false, 'float64 keeps its default');
});
