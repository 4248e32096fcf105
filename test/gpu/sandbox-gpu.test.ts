// The candidate sandbox on a GPU machine: a CUDA program built with nvcc inside the sandbox computes on the GPU
// inside it (gpu: true), cannot reach the GPU when the policy has no GPU (a build's), and a fork storm there ends
// with its reason. Run alone: KP_BWRAP=/path/to/bwrap node --import ./scripts/ts.mjs --test test/gpu/sandbox-gpu.test.ts
// (KP_BWRAP when bwrap is carried rather than installed; see README, "Candidates run sandboxed").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LocalTargetOptions } from '../../server/src/targets/local';
import type { Target } from '../../server/src/targets/target';
import { bundleForTest } from '../bundle';

const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
const skip = smi.status === 0 && /^GPU \d+:/m.test(smi.stdout ?? '') ? false : 'no CUDA device (nvidia-smi found none)';

const PROGRAM = `
#include <cstdio>
#include <cuda_runtime.h>
__global__ void twice(float* x, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= 2.0f; }
int main() {
  const int n = 1 << 20;
  float* d = nullptr;
  cudaError_t e = cudaMalloc(&d, n * sizeof(float));
  if (e != cudaSuccess) { std::printf("no GPU: %s\\n", cudaGetErrorName(e)); return 2; }
  float* h = new float[n];
  for (int i = 0; i < n; i++) h[i] = float(i);
  cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice);
  twice<<<(n + 255) / 256, 256>>>(d, n);
  cudaMemcpy(h, d, n * sizeof(float), cudaMemcpyDeviceToHost);
  for (int i = 0; i < n; i++) if (h[i] != 2.0f * float(i)) { std::printf("wrong at %d\\n", i); return 3; }
  std::printf("ok on the GPU\\n");
  return 0;
}`;

test('a CUDA program built and run inside the sandbox uses the GPU only with a GPU policy', { skip, timeout: 300_000 }, async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LocalTarget } = require(bundleForTest(join(__dirname, '../../server/src/targets/local.ts'), 'local-sandbox-gpu')) as { LocalTarget: new (o?: LocalTargetOptions) => Target };
  const notices: string[] = [];
  const target = new LocalTarget({ sandbox: () => ({ enabled: true, bwrapPath: process.env.KP_BWRAP }), onSandboxNotice: (m) => notices.push(m) });
  const dir = mkdtempSync(join(tmpdir(), 'kp-sandbox-gpu-'));
  writeFileSync(join(dir, 'prog.cu'), PROGRAM);
  const build = await target.exec('nvcc', ['-O2', '-o', 'prog', 'prog.cu'], { cwd: dir, timeoutMs: 180_000, sandbox: { writable: [dir], gpu: false } });
  assert.equal(build.exitCode, 0, `${notices.join('\n')}\n${build.stderr}`);
  const run = await target.exec(join(dir, 'prog'), [], { cwd: dir, timeoutMs: 60_000, sandbox: { writable: [dir], gpu: true } });
  console.log(`  [gpu: true] exit ${run.exitCode}: ${run.stdout.trim()} ${run.stderr.trim()}`);
  assert.equal(run.exitCode, 0);
  assert.match(run.stdout, /ok on the GPU/);
  const blind = await target.exec(join(dir, 'prog'), [], { cwd: dir, timeoutMs: 60_000, sandbox: { writable: [dir], gpu: false } });
  console.log(`  [gpu: false] exit ${blind.exitCode}: ${blind.stdout.trim()}`);
  assert.equal(blind.exitCode, 2);
  assert.match(blind.stdout, /no GPU: cudaError/);
  const storm = await target.exec('/bin/sh', ['-c', 'while :; do sleep 30 & done'], { cwd: dir, timeoutMs: 60_000, sandbox: { writable: [dir], gpu: true, limits: { processes: 64 } } });
  console.log(`  [fork storm] ${storm.limit?.kind}: ${storm.limit?.message}`);
  assert.equal(storm.limit?.kind, 'processes');
});
