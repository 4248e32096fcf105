// Reading model answers and merging their code into the file: fenced blocks, several blocks, prose, whole files,
// bare code, launch JSON, malformed answers; helpers added before the kernel, host code left out, a changed
// signature or broken syntax refused with a reason the model can act on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAnswer } from '../../server/src/llm/answer';
import { assembleCandidate } from '../../server/src/optimize/assemble';
import { EXAMPLES } from './harness-helpers';
import { vectorAddProblem } from './optimize-helpers';

const T = { timeout: 30_000 };
const FAST = readFileSync(join(EXAMPLES, 'vector_add/candidates/fast_float4.cu'), 'utf8');
const KERNEL_ONLY = FAST.slice(FAST.indexOf('__global__'));

test('answers: one fenced block with prose, several blocks, before/after, bare code, launch JSON', T, () => {
  const prose = parseAnswer(`Here is a faster version using float4.\n\n\`\`\`cuda\n${KERNEL_ONLY}\`\`\`\n\nIt needs a quarter of the grid:\n\n\`\`\`json\n{"grid": ["cdiv(n, 1024)"], "block": [256]}\n\`\`\`\nHope this helps!`, 'vector_add');
  assert.equal(prose.problem, undefined);
  assert.equal(prose.code, KERNEL_ONLY.replace(/\n$/, ''));
  assert.deepEqual(prose.launch, { grid: ['cdiv(n, 1024)'], block: ['256'] });
  assert.match(prose.prose, /^Here is a faster version using float4\. It needs a quarter/);

  const helper = '__device__ __forceinline__ float add(float x, float y) { return x + y; }';
  const split = parseAnswer(`\`\`\`cpp\n${helper}\n\`\`\`\nand\n~~~\n__global__ void vector_add(const float* a, const float* b, float* c, int n) { c[0] = add(a[0], b[0]); }\n~~~`, 'vector_add');
  assert.match(split.code ?? '', /^__device__[\s\S]*__global__ void vector_add/);

  const beforeAfter = parseAnswer('Before:\n```cuda\n__global__ void vector_add(int n) { /* old */ }\n```\nAfter:\n```cuda\n__global__ void vector_add(int n) { /* new */ }\n```', 'vector_add');
  assert.match(beforeAfter.code ?? '', /new/);
  assert.doesNotMatch(beforeAfter.code ?? '', /old/);

  const bare = parseAnswer(`Sure.\n${FAST}\nThat's it.`, 'vector_add');
  assert.match(bare.code ?? '', /^\/\/ c = a \+ b[\s\S]*}$/);

  const truncated = parseAnswer('```cuda\n__global__ void vector_add(int n) {\n  int i = 0;\n', 'vector_add');
  assert.match(truncated.code ?? '', /int i = 0;/, 'an unclosed fence still yields its code (the parser then says where it breaks)');
});

test('answers that cannot be used say why', T, () => {
  assert.match(parseAnswer('I would use shared memory and warp shuffles.', 'vector_add').problem ?? '', /no ```cuda code block with the kernel vector_add/);
  assert.match(parseAnswer('```cuda\n__device__ float f() { return 1; }\n```', 'vector_add').problem ?? '', /none of the code blocks defines the kernel vector_add/);
  assert.match(parseAnswer(`\`\`\`cuda\n${KERNEL_ONLY}\`\`\`\n\`\`\`json\n{"grid": ["n",}\n\`\`\``, 'vector_add').problem ?? '', /JSON launch block is not valid JSON/);
  assert.match(parseAnswer(`\`\`\`cuda\n${KERNEL_ONLY}\`\`\`\n\`\`\`json\n{"threads": 256}\n\`\`\``, 'vector_add').problem ?? '', /needs "grid" and "block"/);
});

test('merging: the kernel alone replaces the kernel; a whole file keeps the host code out; helpers go before the kernel', T, async () => {
  const { source, file, kernel } = await vectorAddProblem();
  const alone = await assembleCandidate(source, file, kernel, KERNEL_ONLY);
  assert.ok(alone.ok);
  assert.equal(alone.source, source.replace(source.slice(source.indexOf('__global__')), KERNEL_ONLY));

  const whole = `#include <cuda_runtime.h>\n#include <cstdio>\n${KERNEL_ONLY}\nint main() { std::printf("hi"); return 0; }\n`;
  const merged = await assembleCandidate(source, file, kernel, whole);
  assert.ok(merged.ok);
  assert.doesNotMatch(merged.source, /int main/);
  assert.match(merged.source, /#include <cuda_runtime.h>\n#include <cstdio>\n/);
  assert.deepEqual(merged.notes, ['left out host function main (the harness launches the kernel; give a launch as a JSON block instead)']);

  const withHelper = await assembleCandidate(source, file, kernel, `__device__ float twice(float x) { return 2 * x; }\n${KERNEL_ONLY}`);
  assert.ok(withHelper.ok);
  assert.ok(withHelper.source.indexOf('twice') < withHelper.source.indexOf('__global__'));
});

test('merging refuses a changed signature, a missing kernel and code that does not parse', T, async () => {
  const { source, file, kernel } = await vectorAddProblem();
  const changed = await assembleCandidate(source, file, kernel, '__global__ void vector_add(const float* a, float* c, int n) { }');
  assert.equal(changed.ok, false);
  assert.match(changed.ok ? '' : changed.problem, /parameters changed from \(const float\*, const float\*, float\*, int\) to \(const float\*, float\*, int\)/);
  const restrict = await assembleCandidate(source, file, kernel, '__global__ void vector_add(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ c, int n) { }');
  assert.ok(restrict.ok, 'adding __restrict__ keeps the signature compatible');
  const other = await assembleCandidate(source, file, kernel, '__global__ void other(int n) { }');
  assert.match(other.ok ? '' : other.problem, /does not define the __global__ kernel vector_add/);
  const broken = await assembleCandidate(source, file, kernel, '__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  int i = ;\n  c[i] = a[i] + b[i] +;\n}');
  assert.match(broken.ok ? '' : broken.problem, /^line \d of the code does not parse as CUDA C\+\+/);
});
