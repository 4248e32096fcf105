// `optimize --apply` and `--out`: without them the user's file is never written; --out writes the best verified
// candidate elsewhere; --apply replaces exactly the kernel (atomically, mode kept), refuses when the file changed
// since the run started or when the candidate changes anything outside the kernel, and reports what the candidate
// was verified with that its code does not carry (its own launch, nvcc options). The stand-in gate decides by text.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { optimizeCommand, type OptimizeDeps } from '../../server/src/cli/optimize';
import { replaceKernel } from '../../server/src/optimize/apply';
import type { CandidateEvaluator, CandidateOutcome, EvaluationRequest } from '../../server/src/optimize/evaluator';
import { discover } from '../../server/src/kernels/discover';
import { REPO, tempDir } from './harness-helpers';
import { accepted, FakeEvaluator, VECTOR_ADD, vectorAddProblem } from './optimize-helpers';

const T = { timeout: 60_000 };
const BASELINE = readFileSync(VECTOR_ADD, 'utf8');

/** A workspace with a copy of vector_add.cu (mode 0640, to see it kept) that the run optimizes. */
function workspace(): { dir: string; file: string } {
  const dir = tempDir('optimize-apply');
  const file = join(dir, 'vector_add.cu');
  copyFileSync(VECTOR_ADD, file);
  chmodSync(file, 0o640);
  return { dir, file };
}

function deps(file: string, evaluator: CandidateEvaluator): OptimizeDeps {
  return { env: {}, progress: { write: () => undefined }, prepare: async () => ({ problem: await vectorAddProblem(file), evaluator, close: async () => undefined }) };
}

const run = (file: string, dir: string, evaluator: CandidateEvaluator, ...more: string[]) =>
  optimizeCommand([file, '--workspace', dir, '--rounds', '1', '--candidates', '6', '--no-model', ...more], deps(file, evaluator));

/** The search's `__restrict__` variant is the fast one. */
const restrictWins = () => new FakeEvaluator([['__restrict__', accepted(1.3)]], accepted(1.0));

test('without --apply or --out the file is not written, also when a faster candidate was found', T, async () => {
  const { dir, file } = workspace();
  const before = statSync(file);
  const { output, exitCode } = await run(file, dir, restrictWins());
  assert.equal(exitCode, 0);
  assert.match(output, /1\.30× faster/);
  assert.equal(readFileSync(file, 'utf8'), BASELINE);
  assert.equal(statSync(file).mtimeMs, before.mtimeMs);
  assert.deepEqual(readdirSync(dir).sort(), ['.kernelpilot', 'vector_add.cu']);
});

test('--out writes the candidate elsewhere; --apply replaces only the kernel, keeps the mode, and says so', T, async () => {
  const { dir, file } = workspace();
  const out = join(dir, 'best.cu');
  const { output, exitCode } = await run(file, dir, restrictWins(), '--out', out, '--apply');
  assert.equal(exitCode, 0, output);
  const written = readFileSync(out, 'utf8');
  assert.match(written, /__restrict__/);
  assert.equal(readFileSync(file, 'utf8'), written, 'the applied file is the verified candidate');
  const kernelStart = BASELINE.indexOf('__global__');
  assert.equal(written.slice(0, kernelStart), BASELINE.slice(0, kernelStart), 'nothing before the kernel changed');
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.match(output, /wrote r01-c\d\d-a0 \(1\.30×\) to .*best\.cu/);
  assert.match(output, /applied r01-c\d\d-a0 \(1\.30×\) to .*vector_add\.cu: vector_add \(lines 4–7 before\) replaced/);
  assert.deepEqual(readdirSync(dir).sort(), ['.kernelpilot', 'best.cu', 'vector_add.cu'], 'no temporary file is left');
});

test('--apply refuses a file changed since the run started; --out naming FILE is refused before anything runs', T, async () => {
  const { dir, file } = workspace();
  const edited = `${BASELINE}\n// the user's edit during the run\n`;
  const fast = restrictWins();
  const editing: CandidateEvaluator = {
    baseline: fast.baseline,
    async evaluate(request: EvaluationRequest, signal: AbortSignal): Promise<CandidateOutcome> {
      writeFileSync(file, edited);
      return fast.evaluate(request, signal);
    },
  };
  const { output, exitCode } = await run(file, dir, editing, '--apply', '--json');
  assert.equal(exitCode, 1);
  assert.match((JSON.parse(output) as { refused: string }).refused, /vector_add\.cu changed since the run started/);
  assert.equal(readFileSync(file, 'utf8'), edited, "the user's edit stays");

  await assert.rejects(run(file, dir, restrictWins(), '--out', file), /--out .* is FILE itself: use --apply/);
  await assert.rejects(run(file, dir, restrictWins(), '--dry-run', '--apply'), /nothing to --apply/);
});

test('a launch or nvcc options the candidate was verified with are reported, not written', T, async () => {
  const { dir, file } = workspace();
  const { output, exitCode } = await run(file, dir, new FakeEvaluator([['--use_fast_math', accepted(1.2)]], accepted(1.0)), '--apply');
  assert.equal(exitCode, 0, output);
  assert.match(output, /applied r01-c\d\d-a0 \(1\.20×\): its code is the file's own, .* is unchanged/);
  assert.match(output, /note: it was verified built with the nvcc options --use_fast_math: add them where you build it/);
  assert.equal(readFileSync(file, 'utf8'), BASELINE);

  const launched = workspace();
  const withLaunch = await run(launched.file, launched.dir, new FakeEvaluator([['"block":["128"]', accepted(1.1)]], accepted(1.0)), '--out', join(launched.dir, 'best.cu'));
  assert.match(withLaunch.output, /note: it was verified with its own launch, grid \(cdiv\(n, 128\)\), block \(128\), where the spec launches grid \(\(n \+ 255\) \/ 256\), block \(256\); the file launches it nowhere/);
});

test('replaceKernel: the kernel and what the candidate adds right before it; anything else is refused with its line', T, async () => {
  const source = `#include <cuda_runtime.h>\n\n__device__ float twice(float x) { return 2 * x; }\n\n${BASELINE.slice(BASELINE.indexOf('__global__'))}\nvoid launch(float* c) {}\n`;
  const { kernels } = await discover('k.cu', source);
  const kernel = kernels[0];
  const helper = source.replace('__global__', '__device__ float half(float x) { return x / 2; }\n\n__global__').replace('a[i] + b[i]', 'half(a[i]) + half(b[i]) * 2');
  const replaced = await replaceKernel(source, kernel, helper);
  assert.ok(replaced.ok && replaced.changed && replaced.text === helper);
  assert.deepEqual(replaced.ok && replaced.lines, { first: 5, last: 8 });
  // The editor's edit: the kernel's declaration in the user's file, replaced by the candidate's text, is the candidate.
  const span = replaced.ok ? replaced.span : undefined;
  assert.equal(source.slice(span?.start, span?.end), source.slice(source.indexOf('__global__'), source.indexOf('}\n\nvoid launch') + 1));
  assert.equal(source.slice(0, span?.start) + span?.text + source.slice(span?.end), helper);

  const include = await replaceKernel(source, kernel, source.replace('#include <cuda_runtime.h>', '#include <cuda_runtime.h>\n#include <cuda_fp16.h>'));
  assert.ok(!include.ok && /changes the file before the kernel \(its line 2: `#include <cuda_fp16.h>`\), outside vector_add \(lines 5–8\)/.test(include.problem), JSON.stringify(include));
  const helperChanged = await replaceKernel(source, kernel, source.replace('2 * x', 'x + x'));
  assert.ok(!helperChanged.ok && /its line 3: `__device__ float twice\(float x\) \{ return x \+ x; \}`/.test(helperChanged.problem), JSON.stringify(helperChanged));
  const after = await replaceKernel(source, kernel, source.replace('void launch(float* c) {}', 'void launch(float* c) { c[0] = 1; }'));
  assert.ok(!after.ok && /after the kernel \(its line 10: `void launch\(float\* c\) \{ c\[0\] = 1; \}`\)/.test(after.problem), JSON.stringify(after));
});

test('replaceKernel on a Triton kernel: its @triton.jit definition, decorators included; a change to the launching function is refused', T, async () => {
  const file = join(REPO, 'examples/triton/vector_add/vector_add.py');
  const source = readFileSync(file, 'utf8');
  const kernel = (await discover(file, source)).kernels[0];
  const rewritten = source.replace('output = x + y', 'output = y + x');
  const replaced = await replaceKernel(source, kernel, rewritten);
  assert.ok(replaced.ok && replaced.changed && replaced.text === rewritten, JSON.stringify(replaced));
  assert.equal(source.slice(replaced.span.start, replaced.span.end), source.slice(source.indexOf('@triton.jit'), source.indexOf('\n\n\ndef add(')));
  const relaunched = await replaceKernel(source, kernel, rewritten.replace('BLOCK_SIZE=128)', 'BLOCK_SIZE=256)'));
  assert.ok(!relaunched.ok && /changes the file after the kernel \(its line 23: `add_kernel\[grid\]\(x, y, output, n_elements, BLOCK_SIZE=256\)`\), outside add_kernel \(lines 7–16\)/.test(relaunched.problem), JSON.stringify(relaunched));
});
