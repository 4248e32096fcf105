// The gate runtime's C++ files (server/src/harness/cuda/runtime/) compiled on their own with the real nvcc, as the
// build compiles them (same flags) and with every warning an error, so an edit that breaks them fails here, not in
// a user's benchmark.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { baseFlags } from '../../server/src/harness/build';
import { RUNTIME_DYNAMIC_LIST, RUNTIME_FILES, RUNTIME_SOURCES, VERSION_HEADER } from '../../server/src/harness/cuda/runtime';
import { tempDir } from './harness-helpers';

it('the runtime files are what the bundles and builds use, and nvcc compiles and links them alone without a warning', { timeout: 600_000 }, () => {
  assert.match(VERSION_HEADER, /namespace kp \{/);
  assert.deepEqual(RUNTIME_SOURCES, ['kp_gate.cu', 'kp_device.cu', 'kp_timing.cu', 'kp_loader.cu']);
  const dir = tempDir('runtime-alone');
  for (const [name, text] of Object.entries(RUNTIME_FILES)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 'list'), RUNTIME_DYNAMIC_LIST);
  const flags = [...baseFlags('sm_90'), '-Werror', 'all-warnings', '-Xcompiler', '-Wall,-Wextra,-Werror', '-cudart', 'shared', '-Xcompiler', '-fvisibility=hidden', '-Xlinker', '--dynamic-list=list'];
  const run = spawnSync('nvcc', [...flags, '-o', 'kp_gate', ...RUNTIME_SOURCES, '-ldl'], { cwd: dir, encoding: 'utf8' });
  assert.equal(run.status, 0, `nvcc failed:\n${run.stdout}${run.stderr}`);
  assert.ok(existsSync(join(dir, 'kp_gate')));
  // Only the registration hooks are exported to the versions it loads.
  const nm = spawnSync('nm', ['-D', '--defined-only', join(dir, 'kp_gate')], { encoding: 'utf8' });
  const exported = nm.stdout.split('\n').filter((l) => / [TD] /.test(l)).map((l) => l.split(' ').pop());
  assert.deepEqual(exported.sort(), ['__cudaRegisterManagedVar', '__cudaRegisterVar']);
});
