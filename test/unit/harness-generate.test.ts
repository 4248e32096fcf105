// The generated harness source, without compiling it: what every example's harness must contain, and the
// spec mistakes the generator must refuse with a message that names the spec field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generateCudaHarness, HarnessSpecError } from '../../server/src/harness/cuda/generate';
import { SpecExpressionError } from '../../server/src/harness/cuda/expr';
import { RUNTIME_HEADER, RUNTIME_SOURCE } from '../../server/src/harness/cuda/runtime';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { exampleFiles, EXAMPLES, FIXTURES, readSpec } from './harness-helpers';

const files = exampleFiles();

/** The parameter names of `__global__ void <kernel>(...)` in a source file, in order. */
function kernelParams(source: string, kernel: string): string[] {
  const m = new RegExp(`__global__\\s+void\\s+${kernel}\\s*\\(([^)]*)\\)`).exec(source);
  assert.ok(m, `no __global__ void ${kernel}(...) found`);
  return m[1].split(',').map((p) => /(\w+)\s*$/.exec(p.trim())?.[1] ?? '?');
}

describe('harness generation for the examples', () => {
  it('covers six examples, each with a fast, wrong, partial, mutate and zeros candidate', () => {
    const examples = [...new Set(files.map((f) => f.example))];
    assert.deepEqual(examples, ['matmul', 'reduce_sum', 'saxpy', 'softmax', 'transpose', 'vector_add']);
    for (const example of examples) {
      const names = files.filter((f) => f.example === example).map((f) => f.relative);
      for (const prefix of ['fast_', 'wrong_', 'partial_', 'mutate_', 'zeros_']) {
        assert.ok(names.some((n) => n.startsWith(`candidates/${prefix}`)), `${example} has no candidates/${prefix}*.cu`);
      }
    }
  });

  for (const f of files) {
    it(`${f.example}/${f.relative}: the kernel's parameters are the spec's args, in order`, () => {
      const params = kernelParams(readFileSync(f.path, 'utf8'), f.spec.kernel);
      assert.deepEqual(params, f.spec.args.map((a) => a.name));
    });
  }

  for (const f of files.filter((x) => !x.relative.startsWith('candidates/'))) {
    it(`${f.example}: includes the user's file unchanged, renames its main, launches through typed pointers`, () => {
      const { source, kernelExpr, sizeNames } = generateCudaHarness(f.spec, f.path);
      assert.equal(kernelExpr, f.spec.kernel);
      assert.deepEqual(sizeNames, Object.keys(f.spec.sizes));
      const lines = source.split('\n');
      const define = lines.indexOf('#define main kp_user_main_');
      const include = lines.indexOf(`#include "${f.path}"`);
      const undef = lines.indexOf('#undef main');
      const runtime = lines.indexOf('#include "kp_runtime.cuh"');
      assert.ok(runtime >= 0 && runtime < define && define + 1 === include && include + 1 === undef, 'runtime header, then #define main, #include, #undef main');
      assert.ok(lines.indexOf('int main(int argc, char** argv) {') > undef, 'the harness main comes after the user file');
      assert.match(source, new RegExp(`${f.spec.kernel}<<<kp_grid, kp_block, size_t\\(kp_p\\.smem\\)>>>\\(`));
      for (const arg of f.spec.args) {
        if (arg.role === 'scalar') {
          assert.match(source, new RegExp(`static_cast<\\w+>\\(.*\\)\\s+/\\* ${arg.name} \\*/`));
        } else {
          assert.match(source, new RegExp(`kp::DevPtr<float>\\{kp_buf\\[\\d\\]\\}\\s+/\\* ${arg.name} \\*/`));
          const role = { input: 'Input', output: 'Output', inout: 'Inout' }[arg.role];
          // Floats are poisoned with 0xff (NaN in every float format).
          assert.match(source, new RegExp(`\\{"${arg.name}", kp::Role::${role}, kp::Dtype::Float32, "float32", sizeof\\(float\\), kp::Dist::\\w+, [^,]+, [^,]+, 0xff, \\d\\}`));
        }
      }
      for (const name of sizeNames) {
        assert.ok(lines.includes(`#undef ${name}`), `size variable ${name} is protected from user macros`);
        assert.ok(source.includes(`const long long ${name} = kp_size[`), `${name} is a long long in describe()`);
        assert.ok(source.includes(`{"${name}", ${f.spec.sizes[name]}LL}`), `${name}'s default is in the table`);
      }
    });
  }

  it('the runtime poisons before every launch, flushes L2, times with events around a whole-device sync', () => {
    // prepare() poisons outputs and restores inouts; it must run before the check launch, every warm-up and every timed launch.
    assert.match(RUNTIME_SOURCE, /void prepare\([^)]*\) \{[\s\S]*?cudaMemsetAsync\(s\.dev\[i\], b\.poison[\s\S]*?cudaMemcpyAsync\(s\.dev\[i\], s\.pristine\[i\]/);
    const check = RUNTIME_SOURCE.slice(RUNTIME_SOURCE.indexOf('int run_check('), RUNTIME_SOURCE.indexOf('// ---------------------------------------------------------------- mode: time'));
    assert.ok(check.indexOf('prepare(h, p, s);') < check.indexOf('launch_checked(h, p, s);'));
    const timeMode = RUNTIME_SOURCE.slice(RUNTIME_SOURCE.indexOf('int run_time('), RUNTIME_SOURCE.indexOf('// ---------------------------------------------------------------- mode: ceilings'));
    const warmup = timeMode.slice(timeMode.indexOf('for (long long i = 0; i < o.warmup; ++i)'), timeMode.indexOf('auto sample_once'));
    assert.ok(warmup.indexOf('prepare(h, p, s);') < warmup.indexOf('launch_checked(h, p, s);'), 'warm-up launches are poisoned too');
    const sample = timeMode.slice(timeMode.indexOf('auto sample_once'), timeMode.indexOf('std::string times, walls;'));
    const order = ['prepare(h, p, s);', 'reset_persisting_l2();', 'cudaMemsetAsync(scratch', 'cudaDeviceSynchronize()', 'cudaEventRecord(ev.start, 0)', 'body();', 'cudaEventRecord(ev.end, 0)', 'cudaEventSynchronize(ev.end)'];
    const at = order.map((s) => sample.indexOf(s));
    assert.ok(at.every((x) => x >= 0), `sample_once has ${order.filter((_, i) => at[i] < 0).join(', ') || 'everything'}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, 'poison, flush, sync, start event, launch (+ whole-device sync), end event — in that order');
    assert.match(timeMode, /launch_checked\(h, p, all\[last\]\); sync_checked\(h, p\);/);
    assert.match(RUNTIME_SOURCE, /std::max<size_t>\(2 \* l2, size_t\(64\) << 20\)/, 'the flush writes at least twice the L2 size');
    assert.match(RUNTIME_SOURCE, /last = static_cast<size_t>\(\(o\.warmup \+ i\) % sets\)/, 'buffer sets rotate across warm-up and timed launches');
    assert.match(RUNTIME_SOURCE, /cudaError_t err = cudaDeviceSynchronize\(\);\s+if \(err == cudaSuccess\) err = cudaGetLastError\(\);/);
    assert.match(RUNTIME_SOURCE, /fail\("device", cudaErrorNoDevice, "no CUDA device: cudaGetDeviceCount returned 0"\)/);
    assert.match(RUNTIME_HEADER, /static_assert\(compatible<T, E>::value/);
  });

  it('passes template arguments and opts in to more than 48 KB of shared memory when the spec asks for shared memory', () => {
    const spec: BenchSpec = {
      version: 1,
      kernel: 'ns::tiled',
      templateArgs: ['float', '128'],
      sizes: { n: 4096 },
      args: [
        { name: 'x', role: 'input', dtype: 'float32', shape: ['n'] },
        { name: 'y', role: 'output', dtype: 'float32', shape: ['n'] },
        { name: 'n', role: 'scalar', dtype: 'int64' },
      ],
      launch: { grid: ['cdiv(n, 128)'], block: ['128'], sharedMem: '128 * 4 * 2' },
    };
    const { source, kernelExpr } = generateCudaHarness(spec, '/abs/k.cu');
    assert.equal(kernelExpr, 'ns::tiled<float, 128>');
    assert.ok(source.includes('ns::tiled<float, 128><<<kp_grid, kp_block, size_t(kp_p.smem)>>>('));
    assert.ok(source.includes('cudaFuncSetAttribute(ns::tiled<float, 128>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(kp_p.smem))'));
    assert.ok(source.includes('&kp_spec::setup,'));
    assert.match(source, /kp_p\.grid\[0\] = .*n.*128LL/);
    assert.ok(source.includes('static_cast<int64_t>(n)  /* n */'), 'a scalar named like a size variable defaults to it');
    assert.ok(source.includes('kp::Dist::Uniform, -1.0, 1.0'), 'an input without init gets the default fill, never zeros');
  });

  it('poisons integer outputs with 0xab and converts half scalars explicitly', () => {
    const spec: BenchSpec = {
      version: 1,
      kernel: 'k',
      sizes: { n: 10 },
      args: [
        { name: 'idx', role: 'output', dtype: 'int32', shape: ['n'] },
        { name: 'alpha', role: 'scalar', dtype: 'float16', value: '0.5' },
      ],
      launch: { grid: ['1'], block: ['32'] },
    };
    const { source } = generateCudaHarness(spec, '/abs/k.cu');
    assert.match(source, /\{"idx", kp::Role::Output, kp::Dtype::Int32, "int32", sizeof\(int32_t\), kp::Dist::None, 0\.0, 0\.0, 0xab, 0\}/);
    assert.ok(source.includes('kp::from_double<__half>(static_cast<double>(0.5))  /* alpha */'));
  });

  describe('refuses specs it cannot launch, naming the field', () => {
    const base = readSpec(`${EXAMPLES}/vector_add/vector_add.spec.json`);
    const variant = (edit: (s: BenchSpec) => void): BenchSpec => {
      const s = structuredClone(base);
      edit(s);
      return s;
    };
    const cases: Array<[string, BenchSpec, RegExp, new (...args: never[]) => Error]> = [
      ['a placeholder', variant((s) => (s.launch.grid = ['?'])), /launch\.grid\[0\]: the spec still has a placeholder/, SpecExpressionError],
      ['an unknown variable', variant((s) => (s.args[0].shape = ['m'])), /args\[0\] 'a'\.shape\[0\]: 'm' is not a size variable \(sizes: n\)/, SpecExpressionError],
      ['bad syntax', variant((s) => (s.launch.block = ['256 +'])), /launch\.block\[0\]:/, SpecExpressionError],
      ['C++ in an expression', variant((s) => (s.args[3].value = 'n; system("x")')), /args\[3\] 'n'\.value:/, SpecExpressionError],
      ['a bad arg name', variant((s) => (s.args[0].name = 'a b')), /args\[0\]: 'a b' is not a C\+\+ identifier/, HarnessSpecError],
      ['a repeated arg name', variant((s) => (s.args[1].name = 'a')), /'a' appears twice/, HarnessSpecError],
      ['a buffer without shape', variant((s) => delete s.args[2].shape), /args\[2\] 'c'\.shape: a buffer needs a shape/, HarnessSpecError],
      ['an empty int range', variant((s) => (s.args[0].init = { kind: 'int', low: 3, high: 3 })), /no integers in \[3, 3\)/, HarnessSpecError],
      ['open unknowns', variant((s) => (s.unknowns = [{ path: '/args/0/shape/0', message: 'how long is a?' }])), /unresolved fields: \/args\/0\/shape\/0 \(how long is a\?\)/, HarnessSpecError],
      ['a scalar without value', variant((s) => { s.args[3].name = 'count'; delete s.args[3].value; }), /'count': a scalar needs a value/, HarnessSpecError],
      ['a non-integer size', variant((s) => (s.sizes.n = 1.5)), /size variable 'n' must be an integer/, HarnessSpecError],
      ['a reserved size name', variant((s) => (s.sizes = { kp_n: 4 })), /names starting with kp_ are the harness's own/, HarnessSpecError],
      ['four grid components', variant((s) => (s.launch.grid = ['1', '1', '1', '1'])), /launch\.grid: one to three components/, HarnessSpecError],
    ];
    for (const [what, spec, message, type] of cases) {
      it(what, () => {
        assert.throws(() => generateCudaHarness(spec, `${EXAMPLES}/vector_add/vector_add.cu`), (e: Error) => e instanceof type && message.test(e.message));
      });
    }
    it('a relative user path and a bad kernel name', () => {
      assert.throws(() => generateCudaHarness(base, 'vector_add.cu'), /absolute path/);
      assert.throws(() => generateCudaHarness(base, '/abs/x.cu', 'not a name'), /not a C\+\+ \(qualified\) identifier/);
    });
  });

  it('the test fixture spec generates', () => {
    const { source } = generateCudaHarness(readSpec(`${FIXTURES}/scale_shift.spec.json`), `${FIXTURES}/fake_kernels.cu`);
    assert.match(source, /kp::Role::Inout/);
  });
});
