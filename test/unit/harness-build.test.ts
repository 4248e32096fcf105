// Real nvcc builds of the harness: every example and every candidate, the build cache, compile errors put on
// the user's lines, and a real run of a real binary on this machine (no GPU here: it must fail clearly).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { archFlags, buildHarness, BuildError, type BuildOptions, type BuildResult } from '../../server/src/harness/build';
import { HarnessRunError, runHarness } from '../../server/src/harness/run';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { CountingTarget, exampleFiles, EXAMPLES, mapLimit, tempDir } from './harness-helpers';
import { localTarget } from './local-target';

const vectorAddSpec = (): BenchSpec => ({
  version: 1,
  kernel: 'vector_add',
  sizes: { n: 1024 },
  args: [
    { name: 'a', role: 'input', dtype: 'float32', shape: ['n'] },
    { name: 'b', role: 'input', dtype: 'float32', shape: ['n'] },
    { name: 'c', role: 'output', dtype: 'float32', shape: ['n'] },
    { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
  ],
  launch: { grid: ['cdiv(n, 256)'], block: ['256'] },
});

function errors(result: BuildResult): string {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line + 1}: ${d.message}`).join('\n') || result.log;
}

describe('harness builds with nvcc (sm_90)', { timeout: 900_000 }, () => {
  const cacheDir = tempDir('builds');
  const options = (): BuildOptions => ({ target: localTarget(), arch: 'sm_90', cacheDir });

  it('every example and every candidate compiles', async () => {
    const files = exampleFiles();
    const results = await mapLimit(files, 2, (f) => buildHarness({ spec: f.spec, userFile: f.path }, options()));
    const failed = results.map((r, i) => ({ r, f: files[i] })).filter(({ r }) => !r.ok);
    assert.deepEqual(failed.map(({ f, r }) => `${f.example}/${f.relative}:\n${errors(r)}`), []);
    for (const r of results) {
      assert.ok(r.binary && existsSync(r.binary), `${r.binary} exists`);
      assert.ok(r.dir.startsWith(cacheDir), 'builds go to the cache folder, never beside the user file');
      assert.ok(existsSync(join(r.dir, 'harness.cu')) && existsSync(join(r.dir, 'kp_runtime.cuh')));
    }
    assert.equal(new Set(results.map((r) => r.key)).size, files.length, 'one build per file');
  });

  describe('the build cache', () => {
    const dir = tempDir('cache-user');
    const user = join(dir, 'vector_add.cu');
    const header = join(dir, 'op.cuh');
    before(() => {
      writeFileSync(header, '__device__ inline float op(float x, float y) { return x + y; }\n');
      writeFileSync(user, '#include "op.cuh"\n__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) c[i] = op(a[i], b[i]);\n}\n');
    });

    it('a second build of the same inputs runs no process at all', async () => {
      const target = new CountingTarget(localTarget());
      const first = await buildHarness({ spec: vectorAddSpec(), userFile: user }, { ...options(), target });
      assert.ok(first.ok, errors(first));
      assert.equal(first.cached, false);
      assert.ok(target.calls.some((c) => c.args.includes('harness.cu')), 'the first build ran nvcc on harness.cu');
      const callsAfterFirst = target.calls.length;
      const second = await buildHarness({ spec: vectorAddSpec(), userFile: user }, { ...options(), target });
      assert.equal(second.cached, true);
      assert.equal(second.binary, first.binary);
      assert.equal(target.calls.length, callsAfterFirst, `no nvcc call on a hit, got ${JSON.stringify(target.calls.slice(callsAfterFirst))}`);
    });

    it("without an arch, builds for the target's GPU, asking nvidia-smi once (sm_90 where there is none)", async () => {
      const target = new CountingTarget(localTarget());
      const first = await buildHarness({ spec: vectorAddSpec(), userFile: user }, { target, cacheDir });
      assert.ok(first.ok, errors(first));
      const second = await buildHarness({ spec: vectorAddSpec(), userFile: user }, { target, cacheDir });
      assert.equal(second.cached, true);
      assert.equal(target.calls.filter((c) => c.file === 'nvidia-smi').length, 1);
      assert.match(first.arch, /^sm_\d+[af]?$/, 'sm_90 here (no GPU), the GPU\'s own arch on a GPU machine');
    });

    it('editing the user file, a header it includes, the spec or the flags makes a new build', async () => {
      const spec = vectorAddSpec();
      const base = await buildHarness({ spec, userFile: user }, options());
      writeFileSync(header, '__device__ inline float op(float x, float y) { return y + x; }\n');
      const afterHeader = await buildHarness({ spec, userFile: user }, options());
      assert.equal(afterHeader.cached, false);
      assert.notEqual(afterHeader.key, base.key);
      const afterSpec = await buildHarness({ spec: { ...spec, sizes: { n: 2048 } }, userFile: user }, options());
      assert.notEqual(afterSpec.key, afterHeader.key);
      const afterFlags = await buildHarness({ spec, userFile: user }, { ...options(), flags: ['-DKP_TEST_FLAG=1'] });
      assert.notEqual(afterFlags.key, afterHeader.key);
      assert.ok(afterFlags.ok, errors(afterFlags));
    });
  });

  describe('compile errors', () => {
    it("an error in the user's file is reported on the user's file and line", async () => {
      const dir = tempDir('broken');
      const user = join(dir, 'broken.cu');
      writeFileSync(user, [
        '// a comment',
        '__global__ void vector_add(const float* a, const float* b, float* c, int n) {',
        '  int i = blockIdx.x * blockDim.x + threadIdx.x;',
        '  if (i < n) c[i] = a[i] + b[i] + not_declared;',
        '}',
        '',
      ].join('\n'));
      const result = await buildHarness({ spec: vectorAddSpec(), userFile: user }, options());
      assert.equal(result.ok, false);
      assert.equal(result.binary, undefined);
      const error = result.diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, errors(result));
      assert.equal(error.file, user);
      assert.equal(error.origin, 'user');
      assert.equal(error.line, 3, '0-based line of not_declared');
      assert.equal(error.column, '  if (i < n) c[i] = a[i] + b[i] + '.length);
      assert.match(error.message, /identifier "not_declared" is undefined/);
      assert.ok(existsSync(result.harnessFile), 'the generated source stays for the user to read');
    });

    it('a spec dtype that does not match the kernel is an error naming the argument', async () => {
      const spec = vectorAddSpec();
      spec.args[1].dtype = 'int32';
      const result = await buildHarness({ spec, userFile: join(EXAMPLES, 'vector_add/vector_add.cu') }, options());
      assert.equal(result.ok, false);
      const error = result.diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, result.log);
      assert.equal(error.origin, 'runtime');
      assert.match(error.message, /dtype for this buffer does not match the kernel's pointer parameter/);
      assert.match(error.message, /generated harness line \d+: kp::DevPtr<int32_t>\{kp_buf\[1\]\}\s+\/\* b \*\//);
    });

    it('accepts the spellings a kernel may use for a dtype: long long for int64, float4 for float32', async () => {
      const dir = tempDir('spellings');
      const user = join(dir, 'spell.cu');
      writeFileSync(user, '__global__ void spell(const float4* __restrict__ v, long long* idx, void* raw, long n) {\n  if (threadIdx.x == 0) idx[0] = n + (raw != nullptr) + (int)v[0].x;\n}\n');
      const spec: BenchSpec = {
        version: 1,
        kernel: 'spell',
        sizes: { n: 64 },
        args: [
          { name: 'v', role: 'input', dtype: 'float32', shape: ['4 * n'] },
          { name: 'idx', role: 'output', dtype: 'int64', shape: ['n'] },
          { name: 'raw', role: 'input', dtype: 'uint8', shape: ['n'] },
          { name: 'n', role: 'scalar', dtype: 'int64' },
        ],
        launch: { grid: ['1'], block: ['32'] },
      };
      const result = await buildHarness({ spec, userFile: user }, options());
      assert.ok(result.ok, errors(result));
    });
  });

  it('spells architectures as nvcc wants them (sm_90a needs the -gencode form, HOPPER.md)', () => {
    assert.deepEqual(archFlags('sm_90'), ['-arch=sm_90']);
    assert.deepEqual(archFlags('sm_90a'), ['-gencode=arch=compute_90a,code=sm_90a']);
    assert.throws(() => archFlags('compute_90'), BuildError);
  });

  describe('refusals', () => {
    it('an unknown architecture, a missing nvcc, a bad spec, a cancelled build', async () => {
      const input = { spec: vectorAddSpec(), userFile: join(EXAMPLES, 'vector_add/vector_add.cu') };
      await assert.rejects(buildHarness(input, { ...options(), arch: 'sm_xyz' }), (e: BuildError) => e.kind === 'invalid-arch');
      await assert.rejects(buildHarness(input, { ...options(), nvcc: '/nonexistent/nvcc' }), (e: BuildError) => e.kind === 'nvcc-not-found' && /nvcc not found on target 'local'/.test(e.message));
      await assert.rejects(buildHarness({ ...input, spec: { ...input.spec, launch: { grid: ['?'], block: ['256'] } } }, options()), (e: BuildError) => e.kind === 'spec' && /launch\.grid\[0\]/.test(e.message));
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(buildHarness(input, { ...options(), target: new CountingTarget(localTarget()), signal: aborted.signal }), (e: BuildError) => e.kind === 'cancelled');
    });
  });

  it('running a real build here fails clearly: no GPU on this machine', async () => {
    const result = await buildHarness({ spec: vectorAddSpec(), userFile: join(EXAMPLES, 'vector_add/vector_add.cu') }, options());
    assert.ok(result.ok && result.binary, errors(result));
    const out = tempDir('run-out');
    try {
      const report = await runHarness(result.binary, { mode: 'check', seed: 1, outDir: out }, { target: localTarget(), timeoutMs: 120_000 });
      // A machine with a GPU runs it: then the report must be a real check of vector_add.
      assert.equal(report.kind, 'check');
      assert.equal(report.outputs[0].name, 'c');
    } catch (error) {
      assert.ok(error instanceof HarnessRunError, String(error));
      assert.equal(error.kind, 'report');
      assert.equal(error.stage, 'device');
      assert.match(error.cudaError ?? '', /^cudaError(NoDevice|InsufficientDriver)$/);
      assert.match(error.message, /^no CUDA device on target 'local' \(cudaError\w+\): .*Run on a machine with an NVIDIA GPU.*--dry-run/);
    }
  });

  it('copying a built harness elsewhere keeps it runnable (the binary is self-contained apart from libcudart)', async () => {
    const result = await buildHarness({ spec: vectorAddSpec(), userFile: join(EXAMPLES, 'vector_add/vector_add.cu') }, options());
    assert.ok(result.binary);
    const copy = join(tempDir('copy'), 'harness');
    copyFileSync(result.binary, copy);
    const run = await localTarget().exec('/bin/sh', ['-c', `chmod +x ${copy} && ${copy} nonsense`], { timeoutMs: 30_000 });
    assert.match(run.stdout, /\{"kind":"error","stage":"args","message":"unknown mode 'nonsense'/);
    assert.equal(run.exitCode, 1);
  });
});
