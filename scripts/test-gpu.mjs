// `npm run test:gpu`: the suites that need a CUDA device (test/gpu/). Without one (nvidia-smi missing or
// listing no GPU) it reports a single skipped node:test test and exits 0, so CI on GPU-less runners stays green
// and says why. With one: test/gpu/*.test.ts, which read the results of bench/gpu-run.sh from KP_GPU_OUT, or
// run bench/gpu-run-all.sh first (after building dist/) into a fresh folder when KP_GPU_OUT is not set.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
const gpus = smi.status === 0 ? (smi.stdout ?? '').split('\n').filter((l) => /^GPU \d+:/.test(l)) : [];

if (gpus.length === 0) {
  console.log('skipped: no CUDA device (nvidia-smi found none) — run on a GPU machine');
  test('GPU suite (test/gpu)', { skip: 'no CUDA device (nvidia-smi found none)' }, () => {});
} else {
  const env = { ...process.env };
  if (!env.KP_GPU_OUT) {
    env.KP_GPU_OUT = mkdtempSync(join(tmpdir(), 'kp-gpu-out-'));
    const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
    const run = spawnSync('bash', ['bench/gpu-run-all.sh', process.execPath, env.KP_GPU_OUT], { stdio: 'inherit', env });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  const files = readdirSync('test/gpu').filter((f) => f.endsWith('.test.ts')).map((f) => join('test/gpu', f));
  const result = spawnSync(process.execPath, ['--import', './scripts/ts.mjs', '--test', `--test-timeout=${env.KP_TEST_TIMEOUT_MS ?? '1800000'}`, '--test-reporter=spec', ...files], { stdio: 'inherit', env });
  process.exit(result.status ?? 1);
}
