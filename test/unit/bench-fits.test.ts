// Sizes that cannot run are refused before anything is built (bench/fits.ts): a scalar whose value overflows the
// integer parameter the kernel declares (it would arrive wrapped), and buffers that do not fit in the GPU beside the
// runtime's slack. The kernel is read from real CUDA source, as the job does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryProblem, refuseUnrunnableSizes, scalarRangeProblems } from '../../server/src/bench/fits';
import { JobError, type PreparedSpec } from '../../server/src/bench/job-prepare';
import type { BenchSpec, SpecArg } from '../../server/src/benchspec/model';
import { discover } from '../../server/src/kernels/discover';
import type { Kernel } from '../../server/src/kernels/model';

const SOURCE = '__global__ void scale(float* y, const float* x, int n, long long m, short k, float alpha, size_t count) { }\n';

async function kernel(source = SOURCE): Promise<Kernel> {
  const { kernels } = await discover('/ws/scale.cu', source);
  assert.equal(kernels.length, 1);
  return kernels[0];
}

function specWith(sizes: Record<string, number>, scalars: SpecArg[], buffers: SpecArg[] = []): BenchSpec {
  return { version: 1, kernel: 'scale', sizes, args: [...buffers, ...scalars], launch: { grid: ['1'], block: ['1'] } };
}

const scalar = (name: string, value: string, dtype: SpecArg['dtype'] = 'int32'): SpecArg => ({ name, role: 'scalar', dtype, value });

test("a scalar must fit the integer type the kernel declares for it, at both ends", { timeout: 10_000 }, async () => {
  const k = await kernel();
  const problems = (value: number, name = 'n') => scalarRangeProblems(specWith({ v: value }, [scalar(name, 'v')]), k);
  assert.deepEqual(problems(2 ** 31 - 1), []);
  assert.deepEqual(problems(-(2 ** 31)), []);
  assert.match(problems(2 ** 31)[0], /^args\[0\] \(n\) is 2147483648 \(from 'v'\), which does not fit the kernel's int parameter \(-2147483648 … 2147483647\)/);
  assert.equal(problems(-(2 ** 31) - 1).length, 1);
  // `short`: -32768 … 32767; `long long` and `size_t` hold what int cannot, and size_t nothing below 0.
  assert.deepEqual(problems(32767, 'k'), []);
  assert.deepEqual(problems(-32768, 'k'), []);
  assert.equal(problems(32768, 'k').length, 1);
  assert.equal(problems(-32769, 'k').length, 1);
  assert.deepEqual(problems(3e9, 'm'), []);
  assert.deepEqual(problems(3e9, 'count'), []);
  assert.equal(problems(-1, 'count').length, 1);
});

test('the declared type decides over the spec dtype; a parameter is found by name, else by position', { timeout: 10_000 }, async () => {
  const k = await kernel();
  // The spec says int64, the kernel's `n` is an int: the kernel is what receives the value.
  assert.equal(scalarRangeProblems(specWith({ v: 3e9 }, [scalar('n', 'v', 'int64')]), k).length, 1);
  // A spec name the kernel does not have: the parameter at the same position (third: `int n`).
  const positional = specWith({ v: 3e9 }, [scalar('count_alias', 'v', 'int64')], [
    { name: 'y', role: 'output', dtype: 'float32', shape: ['4'] },
    { name: 'x', role: 'input', dtype: 'float32', shape: ['4'] },
  ]);
  assert.equal(scalarRangeProblems(positional, k).length, 1);
  assert.match(scalarRangeProblems(positional, k)[0], /^args\[2\] \(count_alias\)/);
  // Past the kernel's parameters the spec's dtype is all there is.
  const beyond = await kernel('__global__ void scale() { }\n');
  assert.equal(scalarRangeProblems(specWith({ v: 300 }, [scalar('b', 'v', 'int8')]), beyond).length, 1);
  assert.deepEqual(scalarRangeProblems(specWith({ v: 127 }, [scalar('b', 'v', 'int8')]), beyond), []);
  assert.match(scalarRangeProblems(specWith({ v: 300 }, [scalar('b', 'v', 'uint8')]), beyond)[0], /does not fit the kernel's uint8 parameter \(0 … 255\)/);
});

test('floats, fractions, buffers and values that do not evaluate are not range-checked here', { timeout: 10_000 }, async () => {
  const k = await kernel();
  assert.deepEqual(scalarRangeProblems(specWith({ v: 1e40 }, [scalar('alpha', 'v', 'float32')]), k), []);
  assert.deepEqual(scalarRangeProblems(specWith({ v: 2 ** 31 + 0.5 }, [scalar('n', 'v')]), k), []);
  assert.deepEqual(scalarRangeProblems(specWith({}, [scalar('n', 'undefined_size')]), k), []);
  assert.deepEqual(scalarRangeProblems(specWith({}, [{ name: 'n', role: 'scalar', dtype: 'int32' }]), k), []);
  assert.deepEqual(scalarRangeProblems(specWith({ n: 2 ** 40 }, [], [{ name: 'y', role: 'output', dtype: 'int32', shape: ['n'] }]), k), []);
  // A buffer's "value" is ignored (validation warns), so it is not a scalar to range-check either (here past the
  // kernel's parameters, where an int32 scalar of 2^40 would be refused).
  const bare = await kernel('__global__ void scale() { }\n');
  assert.deepEqual(scalarRangeProblems(specWith({ n: 2 ** 40 }, [], [{ name: 'y', role: 'output', dtype: 'int32', shape: ['4'], value: 'n' }]), bare), []);
});

const GPU = { index: 0, name: 'NVIDIA H200', memoryMiB: 1024, computeCapability: '9.0', driver: '580.0' };
const SLACK = 256 * 2 ** 20;

test('buffers must fit in the GPU beside the slack, inouts counted twice; the largest is named', { timeout: 10_000 }, () => {
  const buffers = (n: number, role: SpecArg['role'] = 'output'): BenchSpec =>
    specWith({ n }, [], [
      { name: 'x', role: 'input', dtype: 'float32', shape: ['n'] },
      { name: 'y', role, dtype: 'float32', shape: ['n'] },
    ]);
  // Exactly full: 2 buffers of 4·n bytes plus the slack is the GPU's memory.
  const full = (1024 * 2 ** 20 - SLACK) / 8;
  assert.equal(memoryProblem(buffers(full), GPU), undefined);
  const over = memoryProblem(buffers(full + 1), GPU);
  assert.match(over ?? '', /^the buffers need 805\.3 MB but GPU 0 \(NVIDIA H200\) has 1\.1 GB; the largest is args\[0\] \(x, shape \[n\]\) at 402\.7 MB with sizes \{"n":100663297\}: use smaller sizes$/);
  // An inout needs its initial copy too.
  const inout = (1024 * 2 ** 20 - SLACK) / 12;
  assert.equal(memoryProblem(buffers(inout, 'inout'), GPU), undefined);
  assert.match(memoryProblem(buffers(inout + 1, 'inout'), GPU) ?? '', /the largest is args\[1\] \(y, shape \[n\]\)/);
  // Shapes that do not evaluate and scalars take no memory here.
  assert.equal(memoryProblem(specWith({ n: 2 ** 40 }, [scalar('n', 'n')], [{ name: 'y', role: 'output', dtype: 'float32', shape: ['depth'] }]), GPU), undefined);
  // A scalar's "shape" is ignored (validation warns): it allocates nothing.
  assert.equal(memoryProblem(specWith({ n: 2 ** 40 }, [{ ...scalar('n', 'n'), shape: ['n'] }]), GPU), undefined);
});

const prepared = (spec: BenchSpec, k: Kernel, file = true): PreparedSpec => ({ file: '/ws/scale.cu', text: SOURCE, kernel: k, spec, source: file ? { kind: 'file', path: '/ws/.kernelpilot/specs/scale.json' } : { kind: 'inferred', assumptions: [] } });

test('what cannot run is refused with every problem and the spec file; memory only when the GPU is known', { timeout: 10_000 }, async () => {
  const k = await kernel();
  const spec = specWith({ n: 2 ** 31 }, [scalar('n', 'n')], [{ name: 'y', role: 'output', dtype: 'float32', shape: ['n'] }]);
  assert.throws(() => refuseUnrunnableSizes(prepared(spec, k), GPU), (e: JobError) => {
    assert.ok(e instanceof JobError);
    assert.equal(e.kind, 'spec');
    assert.deepEqual(e.where, { specFile: '/ws/.kernelpilot/specs/scale.json' });
    assert.match(e.message, /^scale cannot run with \/ws\/\.kernelpilot\/specs\/scale\.json, nothing was built:\n {2}args\[1\] \(n\) is 2147483648.*\n {2}the buffers need 8\.6 GB/);
    return true;
  });
  assert.throws(() => refuseUnrunnableSizes(prepared(spec, k, false), undefined), (e: JobError) => e.where === undefined && /^scale cannot run with the inferred spec, nothing was built:\n {2}args\[1\] \(n\)[^\n]*$/.test(e.message));
  const fine = specWith({ n: 1024 }, [scalar('n', 'n')], [{ name: 'y', role: 'output', dtype: 'float32', shape: ['n'] }]);
  assert.doesNotThrow(() => refuseUnrunnableSizes(prepared(fine, k), GPU));
  // Too big for the GPU alone.
  const big = specWith({ n: 2 ** 28 }, [scalar('m', 'n')], [{ name: 'y', role: 'output', dtype: 'float32', shape: ['n'] }]);
  assert.doesNotThrow(() => refuseUnrunnableSizes(prepared(big, k), undefined));
  assert.throws(() => refuseUnrunnableSizes(prepared(big, k), GPU), /the buffers need 1\.1 GB/);
});
