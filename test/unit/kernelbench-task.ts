// A tiny KernelBench task (ReLU on 8×300) that the optimize tests of the CLI and the editor (LSP and VS Code) write to a
// temp folder: small enough for the KernelBench gate on Debian's CPU torch.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RELU_TASK = readFileSync(join(__dirname, '../fixtures/kernelbench/tiny_relu.py'), 'utf8');

/** A python3 with torch: KERNELPILOT_TEST_PYTHON, else Debian's (CI installs python3-torch). */
export const TEST_PYTHON = process.env.KERNELPILOT_TEST_PYTHON ?? '/usr/bin/python3';

/** Why TEST_PYTHON cannot run the Python gate, or undefined when it can import torch. */
export function torchMissing(): string | undefined {
  const r = spawnSync(TEST_PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? undefined : `${TEST_PYTHON} cannot import torch (apt-get install python3-torch): ${r.stderr.trim().split('\n').pop() ?? ''}`;
}
