// A folder of stand-in GPU programs (fake-gpu-tools.ts): `nvcc` and `nvidia-smi` on a PATH that the shipped CLI
// runs as it would the real ones, so a test can start dist/cli.js on the stand-in GPU and watch its processes.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleForTest } from '../bundle';

let bundle: string | undefined;

/**
 * Writes `<root>/bin/{nvcc,nvidia-smi}` and the programs behind them (so every process they start names `root` on its
 * command line, for a test to find in /proc); returns the environment that puts them first on PATH.
 */
export function fakeGpuBin(root: string, env: { hang?: 'nvcc' | 'runtime'; started?: string; n?: number; gpus?: number; evaluateMs?: number } = {}): Record<string, string> {
  bundle ??= bundleForTest(join(__dirname, 'fake-gpu-tools.ts'), 'fake-gpu-tools');
  const bin = join(root, 'bin');
  mkdirSync(bin, { recursive: true });
  const tools = join(bin, 'fake-gpu-tools.cjs');
  copyFileSync(bundle, tools);
  for (const tool of ['nvcc', 'nvidia-smi']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\nexec '${process.execPath}' '${tools}' ${tool} "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  return {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    KP_FAKE_N: String(env.n ?? 1024),
    ...(env.hang ? { KP_FAKE_HANG: env.hang } : {}),
    ...(env.started ? { KP_FAKE_STARTED: env.started } : {}),
    ...(env.gpus ? { KP_FAKE_GPUS: String(env.gpus) } : {}),
    ...(env.evaluateMs ? { KP_FAKE_EVALUATE_MS: String(env.evaluateMs) } : {}),
  };
}
