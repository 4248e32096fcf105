// The harness runtime's C++ files (server/src/harness/cuda/runtime/) compiled on their own with the real nvcc,
// as the build compiles them (same flags), so an edit that breaks them fails here, not in a user's benchmark.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { baseFlags } from '../../server/src/harness/build';
import { RUNTIME_HEADER, RUNTIME_HEADER_NAME, RUNTIME_SOURCE, RUNTIME_SOURCE_NAME } from '../../server/src/harness/cuda/runtime';
import { tempDir } from './harness-helpers';

const assets = join(__dirname, '../../server/src/harness/cuda/runtime');

it('the runtime files are what the bundles and builds use, and nvcc compiles them alone', { timeout: 300_000 }, () => {
  assert.match(RUNTIME_HEADER, /namespace kp \{/);
  assert.match(RUNTIME_SOURCE, /#include "kp_runtime\.cuh"/);
  const dir = tempDir('runtime-alone');
  for (const name of [RUNTIME_HEADER_NAME, RUNTIME_SOURCE_NAME]) copyFileSync(join(assets, name), join(dir, name));
  const run = spawnSync('nvcc', [...baseFlags('sm_90'), '-Werror', 'all-warnings', '-c', '-o', 'kp_runtime.o', RUNTIME_SOURCE_NAME], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 0, `nvcc failed:\n${run.stdout}${run.stderr}`);
  assert.ok(existsSync(join(dir, 'kp_runtime.o')));
});
