// What the spec defaults decide for the gate: the roofline's byte count when a spec gives none (a wrong count
// makes an honest kernel "impossible" or a skipping one plausible), the input distributions, the dtype kinds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultBytesExpr, defaultInit, elementSize, isFloatDtype, isIntegerDtype, toleranceFor } from '../../server/src/benchspec/defaults';
import type { SpecArg } from '../../server/src/benchspec/model';

const buffer = (name: string, role: SpecArg['role'], dtype: SpecArg['dtype'], shape: string[]): SpecArg => ({ name, role, dtype, shape }) as SpecArg;

test('default roofline bytes: each input read once, each output written once, each inout both; like extents merged', { timeout: 10_000 }, () => {
  assert.equal(defaultBytesExpr([buffer('a', 'input', 'float32', ['n']), buffer('b', 'input', 'float32', ['n']), buffer('c', 'output', 'float32', ['n'])]), '12 * n');
  assert.equal(defaultBytesExpr([buffer('x', 'inout', 'float32', ['n'])]), '8 * n');
  assert.equal(defaultBytesExpr([buffer('m', 'input', 'float16', ['rows', 'cols']), buffer('v', 'output', 'float64', ['rows'])]), '2 * rows * cols + 8 * rows');
  assert.equal(defaultBytesExpr([buffer('h', 'output', 'int8', ['n / 2'])]), '(n / 2)', 'a quotient is parenthesised, a 1-byte term has no factor');
  assert.equal(defaultBytesExpr([buffer('h', 'output', 'int8', ['n - 1'])]), '(n - 1)');
  assert.equal(defaultBytesExpr([buffer('h', 'output', 'int32', ['n + 1', '2'])]), '4 * ((n + 1) * 2)');
  assert.equal(defaultBytesExpr([buffer('s', 'output', 'float32', ['1'])]), '4', 'a single element is a number');
  assert.equal(defaultBytesExpr([buffer('t', 'output', 'int32', ['n.x'])]), '4 * n.x');
  assert.equal(defaultBytesExpr([{ name: 'k', role: 'scalar', dtype: 'int32', value: '3' } as SpecArg]), undefined, 'no buffers, no count');
  assert.equal(defaultBytesExpr([buffer('x', 'input', 'float32', ['n']), { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' } as SpecArg]), '4 * n', 'a scalar moves no bytes');
  assert.equal(defaultBytesExpr([buffer('a', 'input', 'float32', ['n', '?'])]), undefined, 'a placeholder extent');
  assert.equal(defaultBytesExpr([buffer('a', 'input', 'float32', [])]), undefined, 'no extents');
  assert.equal(defaultBytesExpr([buffer('a', 'input', '?' as SpecArg['dtype'], ['n'])]), undefined, 'a placeholder dtype');
  assert.equal(defaultBytesExpr([{ name: 'a', role: 'input', dtype: 'float32' } as SpecArg]), undefined, 'no shape');
});

test('inputs default to symmetric floats and small non-negative integers; booleans to 0 and 1', { timeout: 10_000 }, () => {
  for (const dtype of ['float32', 'float16', 'bfloat16', 'float64'] as const) assert.deepEqual(defaultInit(dtype), { kind: 'uniform', low: -1, high: 1 });
  assert.deepEqual(defaultInit('bool'), { kind: 'int', low: 0, high: 2 });
  for (const dtype of ['int8', 'uint64'] as const) assert.deepEqual(defaultInit(dtype), { kind: 'int', low: 0, high: 100 });
});

test('dtype kinds and sizes; a spec tolerance overrides one field of the default and nothing else', { timeout: 10_000 }, () => {
  assert.deepEqual(['int8', 'uint64', 'bool', 'float32'].map((d) => isIntegerDtype(d as never)), [true, true, false, false]);
  assert.deepEqual(['bfloat16', 'int32'].map((d) => isFloatDtype(d as never)), [true, false]);
  assert.deepEqual(['float64', 'bfloat16', 'bool'].map((d) => elementSize(d as never)), [8, 2, 1]);
  assert.deepEqual(toleranceFor({ tolerance: { float32: { atol: 1e-6 } } } as never, 'float32'), { rtol: 1e-4, atol: 1e-6 });
});
