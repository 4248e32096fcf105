// The generated version shims, without compiling them: what every example's shim must contain (everything from the
// spec before the version's source, a guarded launch after it), the order of the runtime's steps around every
// timed launch, and the spec mistakes the generator must refuse with a message that names the spec field.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { generateVersionShim, HarnessSpecError } from '../../server/src/harness/cuda/generate';
import { SpecExpressionError } from '../../server/src/harness/cuda/expr';
import { RUNTIME_FILES, VERSION_HEADER } from '../../server/src/harness/cuda/runtime';
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
    it(`${f.example}: the spec's tables before the source, the source unchanged, a guarded launch through typed pointers after it`, () => {
      const { source, kernelExpr, sizeNames, guarded } = generateVersionShim(f.spec, f.path);
      assert.equal(kernelExpr, f.spec.kernel);
      assert.deepEqual(sizeNames, Object.keys(f.spec.sizes));
      const lines = source.split('\n');
      const header = lines.indexOf('#include "kp_version.cuh"');
      const define = lines.indexOf('#define main kp_user_main_');
      const include = lines.indexOf(`#include "${f.path}"`);
      const undef = lines.indexOf('#undef main');
      assert.ok(header >= 0 && header < define && define + 1 === include && include + 1 === undef, 'interface, then #define main, #include, #undef main');
      const before = lines.slice(0, include).join('\n');
      const after = lines.slice(undef + 1).join('\n');
      // Everything spec-derived is before the source: sizes, buffers, every expression.
      for (const name of sizeNames) {
        assert.ok(before.includes(`const long long ${name} = kp_size[`), `${name} is a long long in describe()`);
        assert.ok(before.includes(`{"${name}", ${f.spec.sizes[name]}LL}`), `${name}'s default is in the table`);
        assert.ok(!new RegExp(`\\b${name}\\b`).test(after.replace(/#(ifdef|error|endif).*\n/g, '')), `size variable ${name} is not used after the source`);
      }
      for (const arg of f.spec.args) {
        if (arg.role === 'scalar') {
          assert.match(before, new RegExp(`::kp::set_scalar\\(kp_p, \\d+, .*\\);  // ${arg.name}`));
        } else {
          const role = { input: 'RoleInput', output: 'RoleOutput', inout: 'RoleInout' }[arg.role];
          // Floats are poisoned with 0xff (NaN in every float format); the spec's tolerance travels with the buffer.
          assert.match(before, new RegExp(`\\{"${arg.name}", ::kp::${role}, ::kp::Float32, "float32", sizeof\\(float\\), ::kp::Dist\\w+, [^,]+, [^,]+, 0xff, \\d, [^,]+, [^,}]+\\}`));
        }
      }
      assert.match(after, new RegExp(`${f.spec.kernel}<<<::kp::grid_of\\(kp_p\\), ::kp::block_of\\(kp_p\\), ::kp::smem_of\\(kp_p\\)>>>\\(`));
      assert.ok(after.includes('::kp::DevPtr< ::kp::f32>{kp_b[0]}'));
      // Every identifier after the source is guarded, before it is used.
      for (const id of guarded) assert.ok(lines.indexOf(`#ifdef ${id}`) > undef, `${id} is guarded after the source`);
      for (const id of ['kp', 'DevPtr', 'f32', 'kp_launch', 'kp_version_table', 'static_assert', 'void', 'extern', '__attribute__']) assert.ok(guarded.includes(id), id);
      assert.ok(!guarded.includes(f.spec.kernel), 'the kernel expression is the version\'s own');
      assert.ok(after.indexOf('static_assert(sizeof(::kp_global_scope_marker) == 1') < after.indexOf('static ::kp::status kp_launch('), 'the scope marker comes first');
    });
  }

  it('the runtime verifies every timed launch: fresh inputs, candidate timed first, reference after into fresh poison, then the comparison', () => {
    const gate = RUNTIME_FILES['kp_gate.cu'];
    const timing = gate.slice(gate.indexOf('bool evaluate_timing('), gate.indexOf('int run_evaluate('));
    const pair = timing.slice(timing.indexOf('for (long long i = 0; i < total && !stopped; ++i) {'));
    const order = [
      'prepare_side(t, pc, s.candidate, seed, true);',
      'input_digests(t, pc, s.candidate, e.digests);',
      'flush(2 * i);',
      'launch_timed(e.cand, pc, s.candidate, e.timer, wc);',
      'input_digests(t, pc, s.candidate, e.digests);',
      'prepare_side(t, pb, s.baseline, seed, false);',
      'flush(2 * i + 1);',
      'launch_timed(e.base, pb, s.baseline, e.timer, wb);',
      'compare_outputs(t, pb, s, e.counts);',
    ];
    let from = 0;
    for (const step of order) {
      const at = pair.indexOf(step, from);
      assert.ok(at >= 0, `after the previous step: ${step}`);
      from = at + step.length;
    }
    // Each side's outputs are poisoned and its inouts refilled right before its own launch.
    assert.match(gate, /if \(b\.role == RoleOutput\) poison_buffer\(ptrs\[i\], bytes_of\(t, p, i\), b\.poison\);/);
    assert.match(gate, /std::max<size_t>\(2 \* l2, size_t\(64\) << 20\)/, 'the flush covers at least twice the L2 size');
    assert.match(RUNTIME_FILES['kp_timing.cu'], /cudaError_t err = cudaDeviceSynchronize\(\);\s+if \(err == cudaSuccess\) err = cudaGetLastError\(\);/, 'a window closes on a whole-device sync');
    assert.match(VERSION_HEADER, /static_assert\(compatible<T, E>::value/);
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
    const { source, kernelExpr } = generateVersionShim(spec, '/abs/k.cu');
    assert.equal(kernelExpr, 'ns::tiled<float, 128>');
    assert.ok(source.includes('ns::tiled<float, 128><<<::kp::grid_of(kp_p), ::kp::block_of(kp_p), ::kp::smem_of(kp_p)>>>('));
    assert.ok(source.includes('return ::kp::allow_smem(&ns::tiled<float, 128>, kp_p);'));
    assert.ok(source.includes('return ::kp::install(&kp_table, &kp_launch, &kp_setup);'));
    assert.match(source, /kp_p->grid\[0\] = .*n.*128LL/);
    assert.ok(source.includes('::kp::set_scalar(kp_p, 2, n);  // n'), 'a scalar named like a size variable defaults to it');
    assert.ok(source.includes('::kp::scalar_of< ::kp::i64>(kp_p, 2)'));
    assert.ok(source.includes('::kp::DistUniform, -1.0, 1.0'), 'an input without init gets the default fill, never zeros');
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
    const { source } = generateVersionShim(spec, '/abs/k.cu');
    assert.match(source, /\{"idx", ::kp::RoleOutput, ::kp::Int32, "int32", sizeof\(int32_t\), ::kp::DistNone, 0\.0, 0\.0, 0xab, 0, 0\.0, 0\.0\}/);
    assert.ok(source.includes('::kp::set_scalar(kp_p, 1, 0.5);  // alpha'));
    assert.ok(source.includes('::kp::scalar_of< ::kp::f16>(kp_p, 1)'), 'half scalars convert through from_double in scalar_of');
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
        assert.throws(() => generateVersionShim(spec, `${EXAMPLES}/vector_add/vector_add.cu`), (e: Error) => e instanceof type && message.test(e.message));
      });
    }
    it('a relative user path and a bad kernel name', () => {
      assert.throws(() => generateVersionShim(base, 'vector_add.cu'), /absolute path/);
      assert.throws(() => generateVersionShim(base, '/abs/x.cu', 'not a name'), /not a C\+\+ \(qualified\) identifier/);
    });
  });

  it('the test fixture spec generates', () => {
    const { source } = generateVersionShim(readSpec(`${FIXTURES}/scale_shift.spec.json`), `${FIXTURES}/fake_kernels.cu`);
    assert.match(source, /::kp::RoleInout/);
  });
});
