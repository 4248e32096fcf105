// Inference over Kernel objects built by hand: each rule on its own, without discovery in the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kernel, KernelParam, LaunchSite, TemplateParam } from '../../server/src/kernels/model';
import { inferSpec, type InferResult } from '../../server/src/benchspec/infer';
import { formatInference, formatSpecJson } from '../../server/src/benchspec/format';
import { validate } from '../../server/src/benchspec/validate';
import type { SpecArg } from '../../server/src/benchspec/model';

const zero = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** A parameter as discovery reports it, from its declaration text (`const float* __restrict__ x`). */
function param(declaration: string, extra: Partial<KernelParam> = {}): KernelParam {
  const match = /^(.*?)([A-Za-z_]\w*)$/.exec(declaration.trim());
  assert.ok(match, declaration);
  const type = match[1].trim();
  const pointer = type.includes('*');
  const pointee = type.split('*')[0];
  return {
    name: match[2],
    type,
    baseType: pointee.replace(/\b(const|volatile|__restrict__)\b/g, '').replace(/\s+/g, ' ').trim(),
    pointer,
    const: /\bconst\b/.test(pointee),
    restrict: /__restrict__/.test(type),
    range: zero,
    ...extra,
  };
}

function kernel(name: string, params: string[], extra: Partial<Kernel> = {}): Kernel {
  return {
    id: `cuda:${name}`,
    name,
    qualifiedName: name,
    language: 'cuda',
    file: '/ws/k.cu',
    range: zero,
    nameRange: zero,
    params: params.map((p) => param(p)),
    templateParams: [],
    attributes: ['__global__'],
    signature: `__global__ void ${name}(${params.join(', ')})`,
    launchSites: [],
    ...extra,
  };
}

function site(grid: string, block: string, args: string[], line = 20, extra: Partial<LaunchSite> = {}): LaunchSite {
  return { callee: 'k', grid, block, args, range: { start: { line, character: 2 }, end: { line, character: 40 } }, ...extra };
}

function arg(result: InferResult, name: string): SpecArg {
  const found = result.spec.args.find((a) => a.name === name);
  assert.ok(found, `no arg ${name}`);
  return found;
}

function assumed(result: InferResult, pattern: RegExp): void {
  assert.ok(result.assumptions.some((a) => pattern.test(a)), `no assumption matching ${pattern}:\n${result.assumptions.join('\n')}`);
}

function unknownAt(result: InferResult, path: string, pattern?: RegExp): void {
  const found = result.unknowns.find((u) => u.path === path);
  assert.ok(found, `no unknown at ${path}: ${JSON.stringify(result.unknowns)}`);
  if (pattern) assert.match(found.message, pattern);
}

/** Inferred specs must be valid apart from their placeholders, and every placeholder must be explained. */
function assertConsistent(result: InferResult): void {
  const validation = validate(result.spec);
  assert.deepEqual(validation.errors, [], 'inferred spec has schema/semantic errors');
  assert.deepEqual(validation.warnings, []);
  assert.deepEqual(validation.unknowns.map((u) => u.path).sort(), result.unknowns.map((u) => u.path).sort(), 'every "?" has an unknowns entry and vice versa');
  assert.equal(validation.ok, result.unknowns.length === 0);
  assert.deepEqual(result.spec.assumptions, result.assumptions);
  assert.deepEqual(result.spec.unknowns, result.unknowns);
}

test('const pointers are inputs, written pointers outputs, one int is the element count', () => {
  const k = kernel('add', ['const float* __restrict__ a', 'const float* b', 'float* c', 'int n']);
  const r = inferSpec(k, { bodyText: '__global__ void add(const float* __restrict__ a, const float* b, float* c, int n) { int i = threadIdx.x; if (i < n) c[i] = a[i] + b[i]; }', workspaceRoot: '/ws' });
  assert.deepEqual(r.spec.args, [
    { name: 'a', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } },
    { name: 'b', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } },
    { name: 'c', role: 'output', dtype: 'float32', shape: ['n'] },
    { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
  ]);
  assert.deepEqual(r.spec.sizes, { n: 1048576 });
  assert.equal(r.spec.file, 'k.cu');
  assert.equal(r.spec.kernel, 'add');
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(n, 256)'], block: ['256'] });
  assert.equal(r.spec.roofline?.bytes, '12 * n');
  assumed(r, /n = 1048576 \(1<<20\)/);
  assumed(r, /a is an input \(declared const\)/);
  assumed(r, /one thread per element/);
  assumed(r, /uniform\[-1, 1\)/);
  assert.deepEqual(r.unknowns, []);
  assertConsistent(r);
});

test('a non-const pointer the body reads is inout: y[i] = a*x[i] + y[i], +=, atomics', () => {
  const body = `{ int i = threadIdx.x; y[i] = a * x[i] + y[i]; acc[i] += x[i]; atomicAdd(&hist[x[i] > 0], 1); out[i] = 1; }`;
  const k = kernel('k', ['float a', 'const float* x', 'float* y', 'float* acc', 'int* hist', 'float* out', 'int n']);
  const r = inferSpec(k, { bodyText: body });
  assert.equal(arg(r, 'y').role, 'inout');
  assert.equal(arg(r, 'acc').role, 'inout');
  assert.equal(arg(r, 'hist').role, 'inout');
  assert.equal(arg(r, 'hist').dtype, 'int32');
  assert.deepEqual(arg(r, 'hist').init, { kind: 'int', low: 0, high: 100 });
  assert.equal(arg(r, 'out').role, 'output');
  assert.deepEqual(arg(r, 'a'), { name: 'a', role: 'scalar', dtype: 'float32', value: '0.5' });
  assumed(r, /a = 0\.5 \(not 1\.0/);
  assumed(r, /y is inout: the kernel reads it and writes it/);
  assumed(r, /hist is inout: the kernel reads it \(atomic read-modify-write\)/);
  assumed(r, /integer inputs are filled with integers in \[0, 100\)/);
  // inout counts twice: x, y×2, acc×2, hist(int)×2, out = 4 + 8 + 8 + 8 + 4 per element.
  assert.equal(r.spec.roofline?.bytes, '32 * n');
  assertConsistent(r);
});

test('without the body, non-const pointers are assumed outputs and the assumption says so', () => {
  const r = inferSpec(kernel('k', ['const double* x', 'double* y', 'long long n']));
  assert.equal(arg(r, 'y').role, 'output');
  assert.equal(arg(r, 'x').dtype, 'float64');
  assert.equal(arg(r, 'n').dtype, 'int64');
  assumed(r, /y is an output \(assumed write-only: the kernel body was not available/);
  assertConsistent(r);
});

test('pointers handed to helpers or aliased are followed or flagged', () => {
  const body = `{
    float* row = out + blockIdx.x * n;      // alias, then written
    row[threadIdx.x] = 1.0f;
    const float* src = dst + 4;             // read-only alias of a non-const pointer
    float v = src[threadIdx.x];
    helper(tmp, v);                          // escapes
    reinterpret_cast<float4*>(vec)[threadIdx.x] = make_float4(v, v, v, v);
    *(scratch + threadIdx.x) += v;
  }`;
  const r = inferSpec(kernel('k', ['float* out', 'float* dst', 'float* tmp', 'float* vec', 'float* scratch', 'int n']), { bodyText: body });
  assert.equal(arg(r, 'out').role, 'output');
  assert.equal(arg(r, 'dst').role, 'input');
  assumed(r, /dst is an input: the kernel only reads it \(consider declaring it const\)/);
  assert.equal(arg(r, 'tmp').role, 'inout');
  assumed(r, /tmp is inout \(assumed: passed to helper\(\)/);
  assert.equal(arg(r, 'vec').role, 'output');
  assert.equal(arg(r, 'scratch').role, 'inout');
});

test('comments and strings do not count as reads', () => {
  const body = `{ // y[i] is read here? no: y[i] + 1
    /* out[0] + y[0] */ printf("y[0] = %f", 1.0); y[threadIdx.x] = 2.0f; }`;
  const r = inferSpec(kernel('k', ['float* y', 'int n']), { bodyText: body });
  assert.equal(arg(r, 'y').role, 'output');
});

test('rows/cols: a dense matrix, per-row and per-column vectors by name', () => {
  const k = kernel('layernorm', ['const float* x', 'const float* gamma', 'const float* beta', 'float* y', 'float* mean', 'float* rstd', 'int rows', 'int cols', 'float eps']);
  const r = inferSpec(k, { bodyText: '{ y[i] = x[i]; mean[r] = 1; rstd[r] = 2; }' });
  assert.deepEqual(r.spec.sizes, { rows: 1024, cols: 1024 });
  assert.deepEqual(arg(r, 'x').shape, ['rows * cols']);
  assert.deepEqual(arg(r, 'y').shape, ['rows * cols']);
  assert.deepEqual(arg(r, 'gamma').shape, ['cols']);
  assert.deepEqual(arg(r, 'beta').shape, ['cols']);
  assert.deepEqual(arg(r, 'mean').shape, ['rows']);
  assert.deepEqual(arg(r, 'rstd').shape, ['rows']);
  assert.equal(arg(r, 'eps').value, '1e-5');
  assumed(r, /rows × cols read as a dense matrix/);
  assumed(r, /gamma holds one value per column/);
  // No launch site and only .x indexing: the grid cannot be guessed for a row-wise kernel.
  unknownAt(r, '/launch/grid/0', /no launch of this kernel/);
  unknownAt(r, '/launch/block/0');
  assertConsistent(r);
});

test('M, N, K with A, B, C: matmul extents, flops, and a 2-D default launch when the body uses .y', () => {
  const body = '{ int row = blockIdx.y * blockDim.y + threadIdx.y; int col = blockIdx.x * blockDim.x + threadIdx.x; C[row * N + col] = A[row] * B[col]; }';
  const r = inferSpec(kernel('gemm', ['const float* A', 'const float* B', 'float* C', 'int M', 'int N', 'int K']), { bodyText: body });
  assert.deepEqual(r.spec.sizes, { M: 1024, N: 1024, K: 1024 });
  assert.deepEqual(arg(r, 'A').shape, ['M * K']);
  assert.deepEqual(arg(r, 'B').shape, ['K * N']);
  assert.deepEqual(arg(r, 'C').shape, ['M * N']);
  assert.equal(r.spec.roofline?.flops, '2 * M * N * K');
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(N, 16)', 'cdiv(M, 16)'], block: ['16', '16'] });
  assumed(r, /C \(M×N\) = A \(M×K\) · B \(K×N\)/);
  assertConsistent(r);
});

test('matmul operands by position when names say nothing; lower-case m, n, k work too', () => {
  const r = inferSpec(kernel('mm', ['const half* lhs', 'const half* rhs', 'half* dst', 'int m', 'int n', 'int k']), { bodyText: '{ dst[i] = lhs[i] * rhs[i]; }' });
  assert.deepEqual(arg(r, 'lhs').shape, ['m * k']);
  assert.deepEqual(arg(r, 'rhs').shape, ['k * n']);
  assert.deepEqual(arg(r, 'dst').shape, ['m * n']);
  assert.equal(arg(r, 'lhs').dtype, 'float16');
  assumed(r, /matrix operands taken by position: lhs = A, rhs = B, dst = C/);
});

test('launch from a launch site: arguments renamed to the kernel\'s size variables, cdiv recognised', () => {
  const k = kernel('k', ['const float* x', 'float* y', 'int N'], { launchSites: [site('(count + 127) / 128', '128', ['d_x', 'd_y', 'count'])] });
  const r = inferSpec(k, { bodyText: '{ y[i] = x[i]; }', file: 'src/k.cu' });
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(N, 128)'], block: ['128'], from: 'src/k.cu:21' });
  assumed(r, /taken from src\/k\.cu:21/);
  assertConsistent(r);
});

test('launch expressions over unknown host locals become "?" with the reason', () => {
  const k = kernel('k', ['const float* x', 'float* y', 'int n'], { launchSites: [site('numBlocks', 'blockSize', ['x', 'y', 'n'], 5, { sharedMem: 'smemBytes' })] });
  const r = inferSpec(k, { bodyText: '{ y[i] = x[i]; }', file: 'k.cu' });
  assert.deepEqual(r.spec.launch.grid, ['?']);
  assert.deepEqual(r.spec.launch.block, ['?']);
  assert.equal(r.spec.launch.sharedMem, '?');
  unknownAt(r, '/launch/grid/0', /sets grid to `numBlocks`, but `numBlocks` is a host value/);
  unknownAt(r, '/launch/block/0', /blockSize/);
  unknownAt(r, '/launch/sharedMem', /smemBytes/);
  assertConsistent(r);
});

test('host locals, #defines and constants are followed through the file text', () => {
  const fileText = [
    '#define BLOCK 128',
    'constexpr int kItems = 4;',
    '__global__ void k(const float* x, float* y, int n) { y[i] = x[i]; }',
    'void run(const float* x, float* y, int len) {',
    '  int threads = BLOCK;',
    '  int per_block = threads * kItems;',
    '  unsigned grid = (len + per_block - 1) / per_block;',
    '  k<<<grid, threads, threads * sizeof(float)>>>(x, y, len);',
    '}',
  ].join('\n');
  const k = kernel('k', ['const float* x', 'float* y', 'int n'], { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 70 } }, launchSites: [site('grid', 'threads', ['x', 'y', 'len'], 7, { sharedMem: 'threads * sizeof(float)' })] });
  const r = inferSpec(k, { fileText, file: 'k.cu' });
  assert.deepEqual(r.spec.launch, { grid: ['cdiv(n, 128 * 4)'], block: ['128'], sharedMem: '128 * 4', from: 'k.cu:8' });
  assumed(r, /BLOCK = 128 \(line 1\)/);
  assert.equal(arg(r, 'y').role, 'output', 'body taken from the file text by the kernel range');
  assertConsistent(r);
});

test('a constant passed at the launch becomes the size default', () => {
  const fileText = 'int main() {\n  const int N = 4096 * 2;\n  k<<<N / 256, 256>>>(a, b, N);\n}\n';
  const k = kernel('k', ['const float* a', 'float* b', 'int n'], { launchSites: [site('N / 256', '256', ['a', 'b', 'N'], 2)] });
  const r = inferSpec(k, { fileText, bodyText: '{ b[0] = a[0]; }', file: 'k.cu' });
  assert.deepEqual(r.spec.sizes, { n: 8192 });
  assert.deepEqual(r.spec.launch.grid, ['n / 256']);
  assumed(r, /n = 8192, the value passed at k\.cu:3/);
});

test('template parameters: launch arguments, explicit instantiations, defaults, float assumed, unknown ints', () => {
  const tparams = (...list: TemplateParam[]) => list;
  const fromLaunch = inferSpec(
    kernel('k', ['const T* x', 'T* y', 'int n'], {
      templateParams: tparams({ kind: 'typename', name: 'T' }, { kind: 'int', name: 'BLOCK' }),
      launchSites: [site('cdiv(n, 128)', '128', ['x', 'y', 'n'], 3, { templateArgs: ['__nv_bfloat16', '128'] })],
    }),
    { bodyText: '{ y[i] = x[i]; }', file: 'k.cu' },
  );
  assert.deepEqual(fromLaunch.spec.templateArgs, ['__nv_bfloat16', '128']);
  assert.equal(arg(fromLaunch, 'x').dtype, 'bfloat16');
  assumed(fromLaunch, /template T = __nv_bfloat16, from the launch at k\.cu:4/);

  const fileText = 'template <typename T, int N> __global__ void k(const T* x, T* y, int n) { y[i] = x[i]; }\ntemplate __global__ void k<double, 64>(const double*, double*, int);\n';
  const explicit = inferSpec(kernel('k', ['const T* x', 'T* y', 'int n'], { templateParams: tparams({ kind: 'typename', name: 'T' }, { kind: 'int', name: 'N' }) }), { fileText, file: 'k.cu' });
  assert.deepEqual(explicit.spec.templateArgs, ['double', '64']);
  assert.equal(arg(explicit, 'y').dtype, 'float64');
  assumed(explicit, /template N = 64, from the explicit instantiation at k\.cu:2/);

  const assumedFloat = inferSpec(kernel('k', ['const T* x', 'T* y', 'int n'], { templateParams: tparams({ kind: 'typename', name: 'T' }, { kind: 'int', name: 'N' }, { kind: 'int', name: 'V', default: '4' }) }));
  assert.deepEqual(assumedFloat.spec.templateArgs, ['float', '?', '4']);
  assumed(assumedFloat, /template T = float \(assumed/);
  assumed(assumedFloat, /template V = 4, from its default/);
  unknownAt(assumedFloat, '/templateArgs/1', /int N: give its value/);
  assertConsistent(assumedFloat);
});

test('undecidable fields are "?" with messages: structs, flags, vector types, unnamed ints, void*', () => {
  const k = kernel('odd', ['Params p', 'const float4* src', 'void* raw', 'float* dst', 'int count', 'int stride', 'bool flag']);
  const r = inferSpec(k, { bodyText: '{ dst[i * stride] = src[i].x; }' });
  assert.deepEqual(r.spec.sizes, { count: 1048576, stride: '?' });
  unknownAt(r, '/sizes/stride', /stride/);
  unknownAt(r, '/args/0/dtype', /Params/);
  unknownAt(r, '/args/0/value');
  unknownAt(r, '/args/1/shape/0', /float4\* \(4 × float32\)/);
  unknownAt(r, '/args/2/dtype', /`void`/);
  unknownAt(r, '/args/3/shape/0', /dst\[i\*stride\]/);
  unknownAt(r, '/args/6/value', /flag/);
  assert.equal(r.spec.roofline, undefined, 'no byte count while shapes are unknown');
  assertConsistent(r);
});

test('reductions: [0]-only outputs hold one element, [blockIdx.x]-only outputs one per block', () => {
  const k = kernel('reduce', ['const float* in', 'float* partial', 'float* total', 'int n'], { launchSites: [site('cdiv(n, 512)', '512', ['in', 'partial', 'total', 'n'])] });
  const body = '{ __shared__ float s[512]; if (threadIdx.x == 0) { partial[blockIdx.x] = s[0]; } if (threadIdx.x == 0) atomicAdd(total, s[0]); }';
  const r = inferSpec(k, { bodyText: body, file: 'r.cu' });
  assert.deepEqual(arg(r, 'partial').shape, ['cdiv(n, 512)']);
  assert.deepEqual(arg(r, 'total').shape, ['1']);
  assert.equal(arg(r, 'total').role, 'inout');
  assert.equal(r.spec.roofline?.bytes, '4 * n + 4 * cdiv(n, 512) + 8');
  assertConsistent(r);
});

test('dynamic shared memory without a launch is an unknown; __launch_bounds__ sets the default block', () => {
  const k = kernel('k', ['const float* x', 'float* y', 'int n'], { attributes: ['__global__', '__launch_bounds__(128, 4)'] });
  const r = inferSpec(k, { bodyText: '{ extern __shared__ float buf[]; y[0] = x[0] + buf[0]; }' });
  assert.deepEqual(r.spec.launch.grid, ['cdiv(n, 128)']);
  assert.deepEqual(r.spec.launch.block, ['128']);
  assert.equal(r.spec.launch.sharedMem, '?');
  unknownAt(r, '/launch/sharedMem', /extern __shared__/);
  assertConsistent(r);
});

test('unsigned, size_t and 64-bit sizes keep their C types as dtypes', () => {
  const r = inferSpec(kernel('k', ['const uint8_t* x', 'int64_t* y', 'size_t n']), { bodyText: '{ y[i] = x[i]; }' });
  assert.equal(arg(r, 'n').dtype, 'uint64');
  assert.equal(arg(r, 'x').dtype, 'uint8');
  assert.equal(arg(r, 'y').dtype, 'int64');
  assert.equal(r.spec.roofline?.bytes, '9 * n');
});

test('formatInference lists sizes, args, launch, assumptions and unknowns; --json is the spec file text', () => {
  const r = inferSpec(kernel('k', ['const float* x', 'float* y', 'int n', 'int stride']), { bodyText: '{ y[i] = x[i]; }' });
  const text = formatInference(r, { specPath: '.kernelpilot/specs/k.json' });
  assert.match(text, /^kernel {3}k {2}\(\/ws\/k\.cu\)$/m);
  assert.match(text, /^sizes {4}n = 1048576, stride = \?$/m);
  assert.match(text, /^ {3}0 {2}input {3}x +float32 +\[n\] {2}uniform\[-1, 1\)$/m);
  assert.match(text, /^ {3}1 {2}output {2}y +float32 +\[n\] {2}poisoned before each call$/m);
  assert.match(text, /^launch {3}grid cdiv\(n, 256\), block 256$/m);
  assert.match(text, /^compare {2}float32 rtol 0\.0001 atol 0\.0001 default$/m);
  assert.match(text, /^to fill in before it can run \(1\):\n {2}\? \/sizes\/stride: /m);
  assert.match(text, /spec file: \.kernelpilot\/specs\/k\.json/);
  const json = formatSpecJson(r.spec);
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(r.spec)));
});
