// What the Triton tests without a GPU share: Debian's python3 with CPU torch, and a python that also finds the
// stand-in for Triton's interpreter (test/fixtures/triton/fake_triton), since triton cannot be installed here.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './harness-helpers';

export const debianPython = process.env.KERNELPILOT_TEST_PYTHON ?? '/usr/bin/python3';

/** Why the tests cannot run here (no dist/cli.js, no CPU-only torch), or undefined. */
export const torchMissing = (() => {
  if (!existsSync(join(REPO, 'dist/cli.js'))) return 'dist/cli.js not built (npm run build)';
  const r = spawnSync(debianPython, ['-c', 'import torch; assert not torch.cuda.is_available(), "a GPU is visible"'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? undefined : `${debianPython} cannot import CPU-only torch (apt-get install python3-torch): ${r.stderr.trim().split('\n').pop() ?? ''}`;
})();

/** A python whose path holds the stand-in triton, in a folder the sandbox lets the harness read (not /tmp: private there). */
export function standInPython(): { python: string; dir: string } {
  mkdirSync(join(REPO, 'test-results'), { recursive: true });
  const dir = mkdtempSync(join(REPO, 'test-results', 'triton-'));
  // Readable by the sandbox's user (as root it runs the harness as nobody).
  chmodSync(dir, 0o755);
  cpSync(join(REPO, 'test/fixtures/triton/fake_triton'), join(dir, 'site'), { recursive: true });
  mkdirSync(join(dir, 'bin'));
  const python = join(dir, 'bin', 'python');
  writeFileSync(python, `#!/bin/sh\nexport PYTHONPATH='${join(dir, 'site')}'\nexec '${debianPython}' "$@"\n`);
  chmodSync(python, 0o755);
  return { python, dir };
}
