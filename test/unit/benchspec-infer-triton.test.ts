// Inference over Triton sources, through discovery: pointers by use, shapes and strides from the launching
// function, constexprs from the launch, autotune configs, and the examples' committed specs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../server/src/kernels/discover';
import { inferSpec, type InferResult } from '../../server/src/benchspec/infer';
import { validate } from '../../server/src/benchspec/validate';
import type { SpecArg } from '../../server/src/benchspec/model';

const root = join(__dirname, '..', '..');

async function inferText(path: string, text: string, kernelName: string): Promise<InferResult> {
  const { kernels } = await discover(path, text);
  const kernel = kernels.find((k) => k.name === kernelName);
  assert.ok(kernel, `discovery found no ${kernelName} in ${path}`);
  const result = inferSpec(kernel, { fileText: text, workspaceRoot: root });
  const validation = validate(result.spec);
  assert.deepEqual(validation.errors, [], `${kernelName}: inferred spec does not validate`);
  assert.deepEqual(validation.unknowns.map((u) => u.path).sort(), result.unknowns.map((u) => u.path).sort());
  return result;
}

function infer(file: string, kernelName: string): Promise<InferResult> {
  const path = join(root, file);
  return inferText(path, readFileSync(path, 'utf8'), kernelName);
}

function summary(args: SpecArg[]): string[] {
  return args.map((a) => `${a.name}:${a.role}:${a.dtype}:${a.shape ? `[${a.shape.join(',')}]` : `=${a.value}`}`);
}

test('vector_add: pointers by tl.load/tl.store, the size from numel(), the grid lambda over the constexpr', { timeout: 30_000 }, async () => {
  const r = await infer('examples/triton/vector_add/vector_add.py', 'add_kernel');
  assert.deepEqual(summary(r.spec.args), ['x_ptr:input:float32:[n_elements]', 'y_ptr:input:float32:[n_elements]', 'output_ptr:output:float32:[n_elements]', 'n_elements:scalar:int32:=n_elements']);
  assert.deepEqual(r.spec.sizes, { n_elements: 1 << 20 });
  assert.deepEqual(r.spec.launch.grid, ['cdiv(n_elements, BLOCK_SIZE)']);
  assert.deepEqual(r.spec.launch.constexprs, { BLOCK_SIZE: 128 });
  assert.equal(r.unknowns.length, 0);
  assert.equal(r.spec.triton, undefined);
});

test('softmax: shapes from x.shape, strides from x.stride(0), a tuple grid of a size', { timeout: 30_000 }, async () => {
  const r = await infer('examples/triton/softmax/softmax.py', 'softmax_kernel');
  assert.deepEqual(summary(r.spec.args), [
    'output_ptr:output:float32:[n_rows,n_cols]',
    'input_ptr:input:float32:[n_rows,n_cols]',
    'input_row_stride:scalar:int32:=n_cols',
    'output_row_stride:scalar:int32:=n_cols',
    'n_cols:scalar:int32:=n_cols',
  ]);
  assert.deepEqual(r.spec.launch.grid, ['n_rows']);
  assert.ok(r.assumptions.some((a) => /input_row_stride = n_cols, through x\.stride\(0\)/.test(a)), r.assumptions.join('\n'));
});

test('matmul: autotune configs and key recorded, their constexprs not passed, the grid reads them, dtypes from the allocation', { timeout: 30_000 }, async () => {
  const r = await infer('examples/triton/matmul/matmul.py', 'matmul_kernel');
  assert.deepEqual(summary(r.spec.args).slice(0, 3), ['a_ptr:input:float16:[M,K]', 'b_ptr:input:float16:[K,N]', 'c_ptr:output:float16:[M,N]']);
  assert.deepEqual(summary(r.spec.args).slice(6), ['stride_am:scalar:int32:=K', 'stride_ak:scalar:int32:=1', 'stride_bk:scalar:int32:=N', 'stride_bn:scalar:int32:=1', 'stride_cm:scalar:int32:=N', 'stride_cn:scalar:int32:=1']);
  assert.deepEqual(r.spec.launch.grid, ['cdiv(M, BLOCK_M) * cdiv(N, BLOCK_N)']);
  assert.equal(r.spec.launch.constexprs, undefined);
  assert.deepEqual(r.spec.triton?.autotune?.key, ['M', 'N', 'K']);
  assert.deepEqual(r.spec.triton?.autotune?.configs[0], { kwargs: { BLOCK_M: 32, BLOCK_N: 32, BLOCK_K: 32, GROUP_M: 8 }, numWarps: 4, numStages: 2 });
  assert.equal(r.spec.roofline?.flops, '2 * M * N * K');
});

test('constexprs: a local, next_power_of_2 of a size at its default, num_warps; a block pointer is a pointer', { timeout: 30_000 }, async () => {
  const text = [
    'import torch',
    'import triton',
    'import triton.language as tl',
    '@triton.jit',
    'def rows(out, inp, stride, n_cols, BLOCK: tl.constexpr, EVEN: tl.constexpr):',
    '    row = tl.program_id(0)',
    '    src = tl.make_block_ptr(base=inp, shape=(n_cols,), strides=(1,), offsets=(row * stride,), block_shape=(BLOCK,), order=(0,))',
    '    x = tl.load(src)',
    '    dst = out + row * stride',
    '    dst += 0',
    '    tl.store(dst + tl.arange(0, BLOCK), x)',
    'def run(x):',
    '    n_rows, n_cols = x.shape',
    '    y = torch.empty_like(x, dtype=torch.bfloat16)',
    '    block = triton.next_power_of_2(n_cols)',
    '    warps = 8',
    '    rows[(n_rows,)](y, x, x.stride(0), n_cols, BLOCK=block, EVEN=True, num_warps=warps)',
  ].join('\n');
  const r = await inferText(join(root, 'rows.py'), text, 'rows');
  assert.deepEqual(summary(r.spec.args), ['out:output:bfloat16:[n_rows,n_cols]', 'inp:input:bfloat16:[n_rows,n_cols]', 'stride:scalar:int32:=n_cols', 'n_cols:scalar:int32:=n_cols']);
  assert.deepEqual(r.spec.launch.constexprs, { BLOCK: 1024, EVEN: true });
  assert.equal(r.spec.launch.numWarps, 8);
  assert.deepEqual(r.spec.launch.block, ['256']);
  assert.ok(r.assumptions.some((a) => /BLOCK = 1024: triton\.next_power_of_2\(n_cols\)/.test(a)), r.assumptions.join('\n'));
});

test('what cannot be read is "?" with a reason: no launch, a constexpr nobody passes, a tensor of unknown shape', { timeout: 30_000 }, async () => {
  const text = [
    'import triton',
    'import triton.language as tl',
    '@triton.jit',
    'def lone(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):',
    '    i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)',
    '    tl.store(dst_ptr + i, tl.load(src_ptr + i, mask=i < n), mask=i < n)',
    '@triton.jit',
    'def gather(idx_ptr, out_ptr, BLOCK: tl.constexpr):',
    '    tl.store(out_ptr, tl.load(idx_ptr))',
    'def run(idx, out):',
    '    gather[(4,)](idx, out, BLOCK=compute_block())',
  ].join('\n');
  const lone = await inferText(join(root, 'lone.py'), text, 'lone');
  assert.deepEqual(lone.unknowns.map((u) => u.path), ['/launch/constexprs/BLOCK']);
  assert.deepEqual(summary(lone.spec.args), ['src_ptr:input:float32:[n]', 'dst_ptr:output:float32:[n]', 'n:scalar:int32:=n']);
  assert.deepEqual(lone.spec.launch.grid, ['cdiv(n, BLOCK)']);
  const gather = await inferText(join(root, 'gather.py'), text, 'gather');
  assert.deepEqual(gather.unknowns.map((u) => u.path).sort(), ['/args/0/shape/0', '/args/1/shape/0', '/launch/constexprs/BLOCK']);
  assert.match(gather.unknowns[0].message, /shape of idx is not visible in run/);
});

test('the examples\' committed specs are what inference gives, but for the sizes set by hand', { timeout: 30_000 }, async () => {
  for (const name of ['vector_add', 'softmax', 'matmul']) {
    const dir = join(root, 'examples', 'triton', name);
    const committed = JSON.parse(readFileSync(join(dir, `${name}.spec.json`), 'utf8'));
    assert.ok(validate(committed).ok, `${name}.spec.json does not validate`);
    const text = readFileSync(join(dir, `${name}.py`), 'utf8');
    const { kernels } = await discover(join(dir, `${name}.py`), text);
    const inferred = inferSpec(kernels[0], { fileText: text, workspaceRoot: dir }).spec;
    assert.deepEqual(committed.args, inferred.args, name);
    assert.deepEqual(committed.launch, inferred.launch, name);
    assert.deepEqual(committed.triton, inferred.triton, name);
  }
});

test('the launching function\'s names become the sizes: n = out.numel() passed for n_elements; num_warps sets the block', { timeout: 30_000 }, async () => {
  const text = [
    'import triton',
    'import triton.language as tl',
    '@triton.jit',
    'def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):',
    '    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)',
    '    mask = offsets < n_elements',
    '    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask) + tl.load(y_ptr + offsets, mask=mask), mask=mask)',
    'def add(x, y):',
    '    out = torch.empty_like(x)',
    '    n = out.numel()',
    "    grid = lambda meta: (triton.cdiv(n, meta['BLOCK_SIZE']),)",
    '    add_kernel[grid](x, y, out, n, BLOCK_SIZE=1024, num_warps=8)',
  ].join('\n');
  const r = await inferText(join(root, 'add.py'), text, 'add_kernel');
  assert.deepEqual(summary(r.spec.args), ['x_ptr:input:float32:[n]', 'y_ptr:input:float32:[n]', 'out_ptr:output:float32:[n]', 'n_elements:scalar:int32:=n']);
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(n, BLOCK_SIZE)'], block: ['256'], numWarps: 8, constexprs: { BLOCK_SIZE: 1024 }, from: 'add.py:12' });
  assert.ok(r.assumptions.some((a) => /float32 \(assumed: a Triton pointer carries no element type\)/.test(a)));
  assert.deepEqual(r.unknowns, []);
});
