// Edges of reading the runtime and sizing a run that the mutation run (issue 15) found untested: an event line
// whose kind is not a string, the last value each integer type holds, a scalar beside the buffers, the relative
// error of integer outputs, and a summary's own confidence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryProblem, scalarRangeProblems } from '../../server/src/bench/fits';
import { matchValues } from '../../server/src/bench/elementwise';
import type { BenchSpec, SpecArg } from '../../server/src/benchspec/model';
import { deriveSummary } from '../../server/src/derive/summary';
import { parseEvents } from '../../server/src/harness/run';
import { discover } from '../../server/src/kernels/discover';

const T = { timeout: 10_000 };

test('only lines whose kind is a string are events', T, () => {
  const events = parseEvents('{"kind":1}\n{"kind":"end","ok":true}\n{"kind":null}\n');
  assert.deepEqual(events.map((e) => e.kind), ['end']);
});

test('each integer parameter type holds its largest value and refuses the next one', T, async () => {
  const source = '__global__ void k(signed char c, unsigned int u, long long l, unsigned long long q) { }\n';
  const [kernel] = (await discover('/ws/k.cu', source)).kernels;
  const scalar: SpecArg = { name: '', role: 'scalar', dtype: 'int32', value: 'v' };
  const spec = (name: string, v: number): BenchSpec => ({ version: 1, kernel: 'k', sizes: { v }, args: [{ ...scalar, name }], launch: { grid: ['1'], block: ['1'] } });
  const refused = (name: string, v: number) => scalarRangeProblems(spec(name, v), kernel).length > 0;
  assert.deepEqual([refused('c', 127), refused('c', 128)], [false, true]);
  assert.deepEqual([refused('u', 2 ** 32 - 1), refused('u', 2 ** 32)], [false, true]);
  // 2^63 and 2^64 are exact doubles: one past the largest long long and unsigned long long.
  assert.deepEqual([refused('l', 2 ** 63), refused('q', 2 ** 64), refused('q', 2 ** 63)], [true, true, false]);
});

test('a scalar beside the buffers takes no memory', T, () => {
  const spec: BenchSpec = { version: 1, kernel: 'k', sizes: { n: 1024 }, args: [{ name: 'n', role: 'scalar', dtype: 'int32', value: 'n' }, { name: 'y', role: 'output', dtype: 'float32', shape: ['n'] }], launch: { grid: ['1'], block: ['1'] } };
  assert.equal(memoryProblem(spec, { name: 'H200', memoryMiB: 1024, index: 0 }), undefined);
});

test('integer outputs: the largest relative error is over elements whose baseline is not zero', T, () => {
  const stats = matchValues(BigInt64Array.from([0n, 10n, 100n]), BigInt64Array.from([5n, 12n, 100n]), { atol: 100, rtol: 0 });
  assert.deepEqual([stats.failures, stats.maxAbsErr, stats.maxRelErr], [0, 5, 0.2]);
});

test("a summary's median intervals use the confidence it is given", T, () => {
  const summary = deriveSummary({ kernel: 'k', gpuName: 'H200', baselineMs: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], bytes: 0, confidence: 0.5 });
  assert.equal(summary.baseline.medianCI.requested, 0.5);
});
