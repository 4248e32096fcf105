// Inference over real CUDA sources, through discovery: what a user gets from `kernelpilot spec FILE --kernel K`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../server/src/kernels/discover';
import { inferSpec, type InferResult } from '../../server/src/benchspec/infer';
import { validate } from '../../server/src/benchspec/validate';
import type { SpecArg } from '../../server/src/benchspec/model';

const root = join(__dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'spec');

async function infer(file: string, kernelName: string): Promise<InferResult> {
  const path = join(fixtures, file);
  const text = readFileSync(path, 'utf8');
  const { kernels } = await discover(path, text);
  const kernel = kernels.find((k) => k.name === kernelName);
  assert.ok(kernel, `discovery found no ${kernelName} in ${file} (found: ${kernels.map((k) => k.name).join(', ')})`);
  const result = inferSpec(kernel, { fileText: text, workspaceRoot: root });
  // Every inferred spec is valid apart from its placeholders, and each placeholder is explained.
  const validation = validate(result.spec);
  assert.deepEqual(validation.errors, [], `${kernelName}: inferred spec does not validate`);
  assert.deepEqual(validation.unknowns.map((u) => u.path).sort(), result.unknowns.map((u) => u.path).sort());
  return result;
}

function summary(args: SpecArg[]): string[] {
  return args.map((a) => `${a.name}:${a.role}:${a.dtype}:${a.shape ? `[${a.shape.join(',')}]` : `=${a.value}`}`);
}

function assumed(result: InferResult, pattern: RegExp): void {
  assert.ok(result.assumptions.some((a) => pattern.test(a)), `no assumption matching ${pattern}:\n${result.assumptions.join('\n')}`);
}

test('vector add: launch through a #define and host locals, size from the host constant', async () => {
  const r = await infer('vector_add.cu', 'vector_add');
  assert.deepEqual(summary(r.spec.args), ['a:input:float32:[n]', 'b:input:float32:[n]', 'c:output:float32:[n]', 'n:scalar:int32:=n']);
  assert.deepEqual(r.spec.sizes, { n: 1 << 20 });
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(n, 256)'], block: ['256'], from: 'test/fixtures/spec/vector_add.cu:18' });
  assert.equal(r.spec.file, 'test/fixtures/spec/vector_add.cu');
  assumed(r, /n = 1048576, the value passed at .*vector_add\.cu:18 \(N = 1 << 20 \(line 12\)\)/);
  assumed(r, /THREADS = 256 \(line 4\)/);
  assert.deepEqual(r.unknowns, []);
  assert.equal(validate(r.spec).ok, true);
});

test('saxpy: float scalar a, y read and written', async () => {
  const r = await infer('saxpy.cu', 'saxpy');
  assert.deepEqual(summary(r.spec.args), ['n:scalar:int32:=n', 'a:scalar:float32:=0.5', 'x:input:float32:[n]', 'y:inout:float32:[n]']);
  assert.deepEqual(r.spec.launch.grid, ['cdiv(n, 256)']);
  assert.deepEqual(r.spec.launch.block, ['256']);
  assert.equal(r.spec.launch.sharedMem, undefined, 'a literal 0 shared-memory argument is no shared memory');
  assert.equal(r.spec.roofline?.bytes, '12 * n');
  assumed(r, /y is inout/);
  assert.equal(validate(r.spec).ok, true);
});

test('row softmax: rows × cols, one block per row, dynamic shared memory from sizeof', async () => {
  const r = await infer('softmax.cu', 'softmax_rows');
  assert.deepEqual(summary(r.spec.args), ['in:input:float32:[rows * cols]', 'out:output:float32:[rows * cols]', 'rows:scalar:int32:=rows', 'cols:scalar:int32:=cols']);
  assert.deepEqual(r.spec.sizes, { rows: 1024, cols: 1024 });
  assert.deepEqual(r.spec.launch.grid, ['rows']);
  assert.deepEqual(r.spec.launch.block, ['256']);
  assert.equal(r.spec.launch.sharedMem, '256 * 4');
  // `out` is written through the alias `y`, never read: an output, not inout.
  assumed(r, /out is an output/);
  assert.equal(validate(r.spec).ok, true);
});

test('transpose: template tile from the launch, dim3 locals through a constexpr', async () => {
  const r = await infer('transpose.cu', 'transpose');
  assert.deepEqual(r.spec.templateArgs, ['32']);
  assert.deepEqual(summary(r.spec.args), ['in:input:float32:[height * width]', 'out:output:float32:[height * width]', 'width:scalar:int32:=width', 'height:scalar:int32:=height']);
  assert.deepEqual(r.spec.launch.grid, ['cdiv(width, 32)', 'cdiv(height, 32)']);
  assert.deepEqual(r.spec.launch.block, ['32', '32']);
  assumed(r, /template TILE = 32, from the launch/);
  assert.equal(validate(r.spec).ok, true);
});

test('naive matmul without a launch: M×K, K×N, M×N and an assumed 16×16 launch', async () => {
  const r = await infer('matmul.cu', 'matmul');
  assert.deepEqual(summary(r.spec.args), ['A:input:float32:[M * K]', 'B:input:float32:[K * N]', 'C:output:float32:[M * N]', 'M:scalar:int32:=M', 'N:scalar:int32:=N', 'K:scalar:int32:=K']);
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(N, 16)', 'cdiv(M, 16)'], block: ['16', '16'] });
  assert.equal(r.spec.roofline?.flops, '2 * M * N * K');
  assumed(r, /no launch in the file to copy; the kernel uses \.y indices/);
  assert.equal(validate(r.spec).ok, true);
});

test('reductions: per-block partials sized by the grid, an atomic total of one element', async () => {
  const partial = await infer('reduce.cu', 'reduce_partial');
  assert.deepEqual(summary(partial.spec.args), ['in:input:float32:[n]', 'partial:output:float32:[cdiv(n, 256)]', 'n:scalar:int32:=n']);
  assert.deepEqual(partial.spec.launch.grid, ['cdiv(n, 256)']);
  assert.equal(validate(partial.spec).ok, true);

  const atomic = await infer('reduce.cu', 'reduce_atomic');
  assert.deepEqual(summary(atomic.spec.args), ['in:input:float32:[n]', 'total:inout:float32:[1]', 'n:scalar:int32:=n']);
  assert.deepEqual(atomic.spec.launch.grid, ['?']);
  assert.deepEqual(atomic.unknowns.map((u) => u.path), ['/launch/grid/0']);
  assert.match(atomic.unknowns[0].message, /`num_sms \* 4`.*`num_sms` is a host value/);
});

test('what cannot be decided is "?" with a message: struct, float4, stride, flag, opaque launch', async () => {
  const r = await infer('odd.cu', 'odd');
  assert.deepEqual(r.spec.templateArgs, ['double', '4']);
  assert.deepEqual(summary(r.spec.args), ['p:scalar:?:=?', 'src:input:float32:[?]', 'dst:inout:float64:[?]', 'count:scalar:int32:=count', 'stride:scalar:int32:=stride', 'accumulate:scalar:bool:=?']);
  assert.deepEqual(r.unknowns.map((u) => u.path).sort(), ['/args/0/dtype', '/args/0/value', '/args/1/shape/0', '/args/2/shape/0', '/args/5/value', '/launch/block/0', '/launch/grid/0', '/sizes/stride']);
  for (const u of r.unknowns) assert.ok(u.message.length > 20, `${u.path}: message too thin: ${u.message}`);
  assert.equal(validate(r.spec).ok, false);
});

test('the static-check fixture: namespaced template with explicit instantiations, extern "C" saxpy', async () => {
  const path = join(root, 'test', 'fixtures', 'check', 'kernels.cu');
  const text = readFileSync(path, 'utf8');
  const { kernels } = await discover(path, text);
  const k = kernels.find((x) => x.qualifiedName === 'ns::k');
  assert.ok(k);
  const r = inferSpec(k, { fileText: text, workspaceRoot: root });
  assert.deepEqual(r.spec.templateArgs, ['float', '128']);
  assumed(r, /explicit instantiation at .*kernels\.cu:\d+, the first of 2/);
  assert.equal(r.spec.kernel, 'ns::k');
  const saxpy = kernels.find((x) => x.name === 'saxpy');
  assert.ok(saxpy);
  const s = inferSpec(saxpy, { fileText: text, workspaceRoot: root });
  // `y[i] = a * x[i] + ns::helper(y[i])` reads y.
  assert.equal(s.spec.args.find((a) => a.name === 'y')?.role, 'inout');
  // __launch_bounds__(256, 2) and one thread per element.
  assert.deepEqual(s.spec.launch, { grid: ['cdiv(n, 256)'], block: ['256'] });
});

test('KernelBench: inputs and sizes from get_inputs() and module constants', async () => {
  const text = [
    'import torch',
    'import torch.nn as nn',
    '',
    'class Model(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '    def forward(self, A, B):',
    '        return torch.matmul(A, B)',
    '',
    'M = 1024 * 2',
    'K = 512',
    'N = 256',
    '',
    'def get_inputs():',
    '    A = torch.randn(M, K)',
    '    B = torch.rand(K, N, dtype=torch.float32)',
    '    return [A, B]',
    '',
    'def get_init_inputs():',
    '    return []',
  ].join('\n');
  const { kernels } = await discover('/ws/task.py', text);
  const kernel = kernels.find((k) => k.language === 'kernelbench');
  assert.ok(kernel, `discovery found the model (found: ${kernels.map((k) => `${k.language}:${k.name}`).join(', ')})`);
  const r = inferSpec(kernel, { fileText: text, file: 'task.py' });
  assert.deepEqual(r.spec.sizes, { M: 2048, K: 512, N: 256 });
  assert.deepEqual(summary(r.spec.args), ['A:input:float32:[M,K]', 'B:input:float32:[K,N]']);
  assert.deepEqual(r.spec.args[0].init, { kind: 'normal', mean: 0, std: 1 });
  assert.deepEqual(r.spec.args[1].init, { kind: 'uniform', low: 0, high: 1 });
  assumed(r, /the output is what forward\(\) returns/);
  assumed(r, /B is drawn like torch\.rand: uniform\[0, 1\)/);
  assert.equal(validate(r.spec).ok, true);
});
