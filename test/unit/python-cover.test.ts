// The GPU sleep that covers a Triton call's host part grows when a call outlasts it, but not for a call that is a
// compile or an autotune (seconds, once): grown for those, every later timed call slept seconds and a Triton bench
// on the H200 never finished. Runs the harness's own function on CPU torch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from './harness-helpers';

const python = process.env.KERNELPILOT_TEST_PYTHON ?? '/usr/bin/python3';
const HARNESS = join(REPO, 'server/src/harness/python');

function grown(cycles: number, coverMs: number, launchMs: number): [number, number] {
  const code = `import json, kp_kernelbench as k; print(json.dumps(k.grown_cover(${cycles}, ${coverMs}, ${launchMs})))`;
  const r = spawnSync(python, ['-c', code], { cwd: HARNESS, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as [number, number];
}

test('the cover grows to twice a host part it did not hide, never for a compile', { timeout: 120_000 }, (t) => {
  if (spawnSync(python, ['-c', 'import torch']).status !== 0) return t.skip(`${python} cannot import torch (apt-get install python3-torch)`);
  assert.deepEqual(grown(2_000_000, 1, 0.9), [4_000_000, 2], 'at least doubled');
  assert.deepEqual(grown(2_000_000, 1, 3), [12_000_000, 6], 'twice the host part');
  assert.deepEqual(grown(2_000_000, 1, 2500), [2_000_000, 1], 'a 2.5 s first call (JIT) leaves it as it was');
});
