// bench/gpu-triton.sh, run whole without a GPU: its tiny-size mode (SMALL=1) on the CPU through the stand-in for
// Triton's interpreter, so what the lead runs on the GPU machine is known to work end to end here (every example's
// bench and compare, the optimize runs with the scripted endpoint and the built-in search, the PASS/FAIL summary by
// file-name prefix, the autotuner's picks). Times here are the interpreter's by the host clock, and say so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from './harness-helpers';
import { serviceReady } from './service-tests';
import { standInPython, torchMissing } from './triton-stand-in';

test('gpu-triton.sh: every example benched and compared, each candidate PASS by its prefix', { timeout: 300_000 }, (t) => {
  if (!serviceReady(t, torchMissing)) return;
  const { python, dir } = standInPython();
  const out = join(dir, 'out');
  const r = spawnSync('bash', ['bench/gpu-triton.sh', process.execPath, out], { cwd: REPO, encoding: 'utf8', timeout: 280_000, env: { ...process.env, SMALL: '1', DEVICE: 'cpu', PAIRS: '5', PYTHON: python } });
  assert.equal(r.status, 0, r.stderr);
  const summary = readFileSync(join(out, 'summary.txt'), 'utf8');
  assert.match(summary, /ALL PASS\s*$/);
  assert.equal((summary.match(/^ {2}PASS [a-z_]+\//gm) ?? []).length, 9, summary);
  assert.match(summary, /PASS vector_add\/partial_half\.py: rejected: match, written/);
  assert.match(summary, /PASS matmul\/fast_big_tiles\.py: accepted .*\(host clock of Triton's interpreter\).* · autotune picked BLOCK_M: 128/);
  assert.match(summary, /^matmul: checked, not timed \(cpu\) · autotune picked BLOCK_M: 32/m);
  // The optimize runs: each scripted answer gated as its prefix says, every gate record re-derived.
  assert.match(summary, /^vector_add optimize \(model\): .*; gate records re-derived: 4, mismatches: 0$/m);
  assert.match(summary, /^softmax optimize \(search\): /m);
});
