// Real nvcc builds for the gate: every example and every candidate as a kernel version (a small shared object), the
// build cache, compile errors put on the user's lines, macros in a kernel's source that would reach the launch code
// refused by name, and the runtime loading two versions that define the same kernel and variable names (no GPU
// needed to load and describe them; running them fails clearly here).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { archFlags, buildGateRuntime, buildVersion, BuildError, libraryDirsOf, type BuildOptions, type RuntimeBuild, type VersionBuild } from '../../server/src/harness/build';
import { generateVersionShim } from '../../server/src/harness/cuda/generate';
import type { DescribeEvent } from '../../server/src/harness/protocol';
import { HarnessRunError, runGate } from '../../server/src/harness/run';
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

function errors(result: VersionBuild): string {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.line + 1}: ${d.message}`).join('\n') || result.log;
}

const VECTOR_ADD = join(EXAMPLES, 'vector_add/vector_add.cu');

describe('gate builds with nvcc (sm_90)', { timeout: 1_200_000 }, () => {
  const cacheDir = tempDir('builds');
  const options = (): BuildOptions => ({ target: localTarget(), arch: 'sm_90', cacheDir });

  it('every example and every candidate compiles as a kernel version', async () => {
    const files = exampleFiles();
    const results = await mapLimit(files, 2, (f) => buildVersion({ spec: f.spec, file: f.path }, options()));
    const failed = results.map((r, i) => ({ r, f: files[i] })).filter(({ r }) => !r.ok);
    assert.deepEqual(failed.map(({ f, r }) => `${f.example}/${f.relative}:\n${errors(r)}`), []);
    for (const r of results) {
      assert.ok(r.object && existsSync(r.object), `${r.object} exists`);
      assert.ok(r.dir.startsWith(cacheDir), 'builds go to the cache folder, never beside the user file');
      assert.ok(existsSync(join(r.dir, 'version.cu')) && existsSync(join(r.dir, 'kp_version.cuh')));
    }
    assert.equal(new Set(results.map((r) => r.key)).size, files.length, 'one build per file');
    assert.match(results[0].command ?? '', /-shared -Xcompiler -fPIC -Xcompiler -fvisibility=hidden -cudart shared/);
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
      const first = await buildVersion({ spec: vectorAddSpec(), file: user }, { ...options(), target });
      assert.ok(first.ok, errors(first));
      assert.equal(first.cached, false);
      assert.ok(target.calls.some((c) => c.args.includes('version.cu')), 'the first build ran nvcc on version.cu');
      const callsAfterFirst = target.calls.length;
      const second = await buildVersion({ spec: vectorAddSpec(), file: user }, { ...options(), target });
      assert.equal(second.cached, true);
      assert.equal(second.object, first.object);
      assert.equal(target.calls.length, callsAfterFirst, `no nvcc call on a hit, got ${JSON.stringify(target.calls.slice(callsAfterFirst))}`);
    });

    it("without an arch, builds for the target's GPU, asking nvidia-smi once (sm_90 where there is none)", async () => {
      const target = new CountingTarget(localTarget());
      const first = await buildVersion({ spec: vectorAddSpec(), file: user }, { target, cacheDir });
      assert.ok(first.ok, errors(first));
      const second = await buildVersion({ spec: vectorAddSpec(), file: user }, { target, cacheDir });
      assert.equal(second.cached, true);
      assert.equal(target.calls.filter((c) => c.file === 'nvidia-smi').length, 1);
      assert.match(first.arch, /^sm_\d+[af]?$/, "sm_90 here (no GPU), the GPU's own arch on a GPU machine");
    });

    it('editing the file, a header it includes, the spec or the flags makes a new build', async () => {
      const spec = vectorAddSpec();
      const base = await buildVersion({ spec, file: user }, options());
      writeFileSync(header, '__device__ inline float op(float x, float y) { return y + x; }\n');
      const afterHeader = await buildVersion({ spec, file: user }, options());
      assert.equal(afterHeader.cached, false);
      assert.notEqual(afterHeader.key, base.key);
      const afterSpec = await buildVersion({ spec: { ...spec, sizes: { n: 2048 } }, file: user }, options());
      assert.notEqual(afterSpec.key, afterHeader.key);
      const afterFlags = await buildVersion({ spec, file: user }, { ...options(), flags: ['-DKP_TEST_FLAG=1'] });
      assert.notEqual(afterFlags.key, afterHeader.key);
      assert.ok(afterFlags.ok, errors(afterFlags));
    });
  });

  describe('compile errors', () => {
    it("an error in the kernel's file is reported on its file and line", async () => {
      const dir = tempDir('broken');
      const user = join(dir, 'broken.cu');
      writeFileSync(user, ['// a comment', '__global__ void vector_add(const float* a, const float* b, float* c, int n) {', '  int i = blockIdx.x * blockDim.x + threadIdx.x;', '  if (i < n) c[i] = a[i] + b[i] + not_declared;', '}', ''].join('\n'));
      const result = await buildVersion({ spec: vectorAddSpec(), file: user }, options());
      assert.equal(result.ok, false);
      assert.equal(result.object, undefined);
      const error = result.diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, errors(result));
      assert.equal(error.file, user);
      assert.equal(error.origin, 'user');
      assert.equal(error.line, 3, '0-based line of not_declared');
      assert.equal(error.column, '  if (i < n) c[i] = a[i] + b[i] + '.length);
      assert.match(error.message, /identifier "not_declared" is undefined/);
      assert.ok(existsSync(result.shimFile), 'the generated shim stays for the user to read');
    });

    it('a spec dtype that does not match the kernel is an error naming the argument', async () => {
      const spec = vectorAddSpec();
      spec.args[1].dtype = 'int32';
      const result = await buildVersion({ spec, file: VECTOR_ADD }, options());
      assert.equal(result.ok, false);
      const error = result.diagnostics.find((d) => d.severity === 'error');
      assert.ok(error, result.log);
      assert.equal(error.origin, 'runtime');
      assert.match(error.message, /dtype for this buffer does not match the kernel's pointer parameter/);
      assert.match(error.message, /generated shim line \d+: ::kp::DevPtr< ::kp::i32>\{kp_b\[1\]\},/);
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
      const result = await buildVersion({ spec, file: user }, options());
      assert.ok(result.ok, errors(result));
    });
  });

  describe("macros in a kernel's source cannot reach the launch code", () => {
    it('a macro for ANY identifier the generated launch code uses fails the build, naming it', async () => {
      const dir = tempDir('hostile');
      const user = join(dir, 'hostile.cu');
      const { guarded } = generateVersionShim(vectorAddSpec(), user);
      assert.ok(guarded.length >= 20, `${guarded.length} guarded identifiers`);
      writeFileSync(user, `${readFileSync(VECTOR_ADD, 'utf8')}\n${guarded.map((id) => `#define ${id} hostile_${id}`).join('\n')}\n`);
      const result = await buildVersion({ spec: vectorAddSpec(), file: user }, options());
      assert.equal(result.ok, false);
      for (const id of guarded) assert.match(result.log, new RegExp(`defines a macro '${id}', which the generated launch code uses`), id);
    });

    it('the same source without the macros builds: the guards are no false alarm', async () => {
      const result = await buildVersion({ spec: vectorAddSpec(), file: VECTOR_ADD }, options());
      assert.ok(result.ok, errors(result));
    });

    it('a source that leaves a namespace open is refused (the launch code would not be at global scope)', async () => {
      const dir = tempDir('open-namespace');
      const user = join(dir, 'open.cu');
      writeFileSync(user, `${readFileSync(VECTOR_ADD, 'utf8')}\nnamespace hijack {\nnamespace kp { struct Problem; }\n`);
      const result = await buildVersion({ spec: vectorAddSpec(), file: user }, options());
      assert.equal(result.ok, false);
      assert.match(result.log, /leaves a namespace, class or block open at its end|expected a "\}"/);
    });
  });

  it('spells architectures as nvcc wants them (sm_90a needs the -gencode form, HOPPER.md)', () => {
    assert.deepEqual(archFlags('sm_90'), ['-arch=sm_90']);
    assert.deepEqual(archFlags('sm_90a'), ['-gencode=arch=compute_90a,code=sm_90a']);
    assert.throws(() => archFlags('compute_90'), BuildError);
  });

  it("reads the toolkit's library folders from nvcc -dryrun, without the driver stubs", () => {
    const printed = '#$ _NVVM_BRANCH_=nvvm\n#$ TOP=/usr/local/cuda-13.0/bin/..\n#$ LIBRARIES=  "-L/usr/local/cuda-13.0/bin/../targets/x86_64-linux/lib/stubs" "-L/usr/local/cuda-13.0/bin/../targets/x86_64-linux/lib"\n';
    assert.deepEqual(libraryDirsOf(printed), ['/usr/local/cuda-13.0/targets/x86_64-linux/lib']);
    assert.deepEqual(libraryDirsOf('nothing'), []);
  });

  describe('refusals', () => {
    it('an unknown architecture, a missing nvcc, a bad spec, a cancelled build', async () => {
      const input = { spec: vectorAddSpec(), file: VECTOR_ADD };
      await assert.rejects(buildVersion(input, { ...options(), arch: 'sm_xyz' }), (e: BuildError) => e.kind === 'invalid-arch');
      await assert.rejects(buildVersion(input, { ...options(), nvcc: '/nonexistent/nvcc' }), (e: BuildError) => e.kind === 'nvcc-not-found' && /nvcc not found on target 'local'/.test(e.message));
      await assert.rejects(buildVersion({ ...input, spec: { ...input.spec, launch: { grid: ['?'], block: ['256'] } } }, options()), (e: BuildError) => e.kind === 'spec' && /launch\.grid\[0\]/.test(e.message));
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(buildVersion(input, { ...options(), target: new CountingTarget(localTarget()), signal: aborted.signal }), (e: BuildError) => e.kind === 'cancelled');
    });
  });

  describe('the runtime and two versions in one process', () => {
    let runtime: RuntimeBuild;
    before(async () => {
      // The default build cache, so the other suites (and reruns) reuse the runtime.
      runtime = await buildGateRuntime({ target: localTarget(), arch: 'sm_90' });
    });

    it('is built once and then reused without running nvcc', async () => {
      assert.ok(existsSync(runtime.executable));
      const target = new CountingTarget(localTarget());
      const again = await buildGateRuntime({ target, arch: 'sm_90' });
      assert.equal(again.cached, true);
      assert.equal(again.executable, runtime.executable);
      assert.ok(!target.calls.some((c) => c.args.includes('kp_gate.cu')));
    });

    it('loads a baseline and a candidate that both define vector_add and a __device__ counter, each with its own', async () => {
      const dir = tempDir('same-names');
      const counted = join(dir, 'counted.cu');
      writeFileSync(counted, '__device__ unsigned counter;\n__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n  if (i < n) c[i] = a[i] + b[i];\n  if (i == 0) atomicAdd(&counter, 1u);\n}\n');
      const other = join(dir, 'other.cu');
      writeFileSync(other, readFileSync(counted, 'utf8').replace('a[i] + b[i]', 'b[i] + a[i]'));
      const [a, b] = await Promise.all([buildVersion({ spec: vectorAddSpec(), file: counted }, options()), buildVersion({ spec: vectorAddSpec(), file: other }, options())]);
      assert.ok(a.object && b.object, errors(a) + errors(b));
      const events = await runGate(runtime.executable, { mode: 'describe', versions: [a.object, b.object] }, { target: localTarget(), timeoutMs: 60_000 });
      const described = events.find((e): e is DescribeEvent => e.kind === 'describe');
      assert.ok(described);
      const [first, second] = described.versions;
      assert.equal(first.kernel, 'vector_add');
      assert.equal(second.kernel, 'vector_add');
      assert.notEqual(first.launch, second.launch, 'each version launches its own kernel');
      assert.deepEqual(first.variables, [{ name: 'counter', bytes: 4, managed: false }]);
      assert.deepEqual(second.variables, [{ name: 'counter', bytes: 4, managed: false }], "the second module's variable is seen too");
      assert.deepEqual(first.buffers.map((x) => [x.name, x.dtype, x.atol]), [['a', 'float32', 1e-4], ['b', 'float32', 1e-4], ['c', 'float32', 1e-4]]);
    });

    it('running on the GPU fails clearly here (no GPU on this machine)', async () => {
      try {
        await runGate(runtime.executable, { mode: 'ceilings' }, { target: localTarget(), timeoutMs: 60_000 });
      } catch (error) {
        assert.ok(error instanceof HarnessRunError, String(error));
        assert.equal(error.kind, 'report');
        assert.equal(error.stage, 'device');
        assert.match(error.cudaError ?? '', /^cudaError(NoDevice|InsufficientDriver)$/);
        assert.match(error.message, /^no CUDA device on target 'local' \(cudaError\w+\): .*Run on a machine with an NVIDIA GPU.*--dry-run/);
        return;
      }
      // A machine with a GPU measures the ceilings instead: nothing to assert about failing then.
    });

    it('refuses a shared object it did not build, and unknown arguments, with an error event', async () => {
      const dir = tempDir('not-a-version');
      const bogus = join(dir, 'bogus.so');
      writeFileSync(bogus, 'not an ELF');
      await assert.rejects(runGate(runtime.executable, { mode: 'describe', versions: [bogus] }, { target: localTarget(), timeoutMs: 60_000 }), (e: HarnessRunError) => e.kind === 'report' && e.stage === 'load' && /cannot load the kernel version/.test(e.message));
      const run = await localTarget().exec(runtime.executable, ['nonsense'], { timeoutMs: 30_000 });
      assert.match(run.stdout, /\{"kind":"error","stage":"args","message":"unknown mode 'nonsense'/);
      assert.equal(run.exitCode, 1);
    });
  });
});
