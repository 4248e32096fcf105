// The candidate check on the compare path: a candidate that is not kernel code, lacks the kernel or does not parse
// is refused before anything compiles, with a message that names the candidate file, the construct and its line:
// a JobError for --dry-run (there is nothing to gate), a rejected candidate (the `structure` probe) when gating.
import { ThisMachine } from '../../server/src/targets/this-machine';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareCandidates, type CandidateResult } from '../../server/src/bench/job';
import type { ExecOptions, ExecResult } from '../../server/src/targets/target';
import { FakeGpuTarget } from './job-fake-gpu';
import { EXAMPLES, tempDir } from './harness-helpers';

/** The fake GPU, counting what ran: a refused candidate must not reach nvcc. */
class Counting extends ThisMachine {
  readonly name = 'counting';
  readonly ran: string[] = [];
  private readonly inner = new FakeGpuTarget(1024);
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.ran.push(file);
    return this.inner.exec(file, args, options);
  }
}

const baseline = join(EXAMPLES, 'vector_add', 'vector_add.cu');
const spec = join(EXAMPLES, 'vector_add', 'vector_add.spec.json');

for (const [name, source, expected] of [
  ['no_kernel.cu', '#include <cuda_runtime.h>\n__global__ void vector_add_v2(const float* a, const float* b, float* c, int n) {}\n', /no_kernel\.cu:1: kernel vector_add: missing: .*it defines vector_add_v2/],
  ['broken.cu', '__global__ void vector_add(const float* a, const float* b, float* c, int n) {\n  c[0] = a[0] +;\n}\n', /broken\.cu:2: syntax error: the candidate does not parse here/],
  ['host_code.cu', '#include <cstdlib>\n__global__ void vector_add(const float* a, const float* b, float* c, int n) {}\nstatic int armed = std::system("id");\n', /host_code\.cu:3: host global variable 'armed'/],
] as const) {
  test(`compare refuses ${name} before compiling, naming the candidate`, { timeout: 30_000 }, async () => {
    const workspace = tempDir('job-candidate');
    const candidateFile = join(workspace, name);
    writeFileSync(candidateFile, source);
    const target = new Counting();
    await assert.rejects(
      compareCandidates({ file: baseline, kernel: 'vector_add', specPath: spec, workspace, target, candidates: [{ file: candidateFile }], buildCacheDir: join(workspace, 'builds'), dryRun: true }),
      (error: Error & { kind?: string }) => {
        assert.equal(error.name, 'JobError');
        assert.equal(error.kind, 'candidate');
        assert.match(error.message, new RegExp(`^candidate ${candidateFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} refused before compiling`));
        assert.match(error.message, expected);
        return true;
      },
    );
    assert.deepEqual(target.ran, [], 'nothing ran: no nvcc, no nvidia-smi');
  });
}

test('when gating, a refused candidate is rejected by the structure probe and never compiled, beside an accepted one', { timeout: 60_000 }, async () => {
  const workspace = tempDir('job-candidate-gate');
  const refused = join(workspace, 'host_code.cu');
  writeFileSync(refused, '#include <cstdlib>\n__global__ void vector_add(const float* a, const float* b, float* c, int n) {}\nstatic int armed = std::system("id");\n');
  const target = new FakeGpuTarget(1024);
  const fast = join(EXAMPLES, 'vector_add', 'candidates', 'fast_float4.cu');
  // The example's spec at the stand-in's small size, without its sweep (the stand-in computes every point for real).
  const small = join(workspace, 'small.spec.json');
  writeFileSync(small, JSON.stringify({ ...JSON.parse(readFileSync(spec, 'utf8')), sizes: { n: 1024 }, sweep: undefined }));
  const common = { file: baseline, kernel: 'vector_add', specPath: small, workspace, target, buildCacheDir: join(workspace, 'builds'), ceilingsPath: join(workspace, 'ceilings.json'), seeds: [1, 2, 3], pairs: 10 };
  const [bad, good] = (await compareCandidates({ ...common, candidates: [{ file: refused }, { file: fast }] })) as CandidateResult[];
  assert.equal(bad.summary.gate?.accepted, false);
  assert.deepEqual(bad.summary.gate?.failedProbes, ['structure']);
  assert.match(bad.summary.verification?.probes[0].reason ?? '', /host_code\.cu:3: host global variable 'armed'/);
  assert.equal(bad.builds.length, 1, 'only the baseline was built');
  assert.equal(good.summary.gate?.accepted, true);
  assert.equal(target.runs.filter((r) => r[0] === 'evaluate').length, 1, 'only the accepted candidate reached the GPU');
});
