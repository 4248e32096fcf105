// The static report with the real nvcc on this machine (no GPU, no ncu, no cuobjdump): `kernelpilot profile --static`
// for every recorded kernel gives ptxas's registers and the theoretical occupancy with its limiter, and they equal what
// Nsight Compute measured on the H200 for the same kernels built by the same nvcc (13.0).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { profileCommand } from '../../server/src/cli/profile';
import { parseRawPage, rawNumber } from '../../server/src/profile/ncu-csv';
import type { ProfileReport } from '../../server/src/profile/report';
import { REPO, tempDir } from './harness-helpers';
import { localTarget } from './local-target';
import { RECORDED, recording } from './profile-fixtures';

const quiet = () => undefined;

test('profile --static --json: registers, theoretical occupancy and its limiter equal ncu\'s for all nine kernels', { timeout: 600_000 }, async () => {
  const target = localTarget();
  const workspace = tempDir('profile-static');
  for (const r of RECORDED) {
    const { output, exitCode } = await profileCommand([r.file], { kernel: r.kernel, spec: r.spec, static: true, json: true, workspace, arch: 'sm_90' }, { target, progress: quiet });
    assert.equal(exitCode, 0, r.name);
    const report = JSON.parse(output) as ProfileReport;
    const [launch] = parseRawPage(recording(r.name, 'raw.csv'));
    // The driver reports (and allocates) at least 16 registers per thread: ptxas's 9–14 read 16 under ncu. The
    // occupancy is the same either way (a warp's registers are allocated in units of 256).
    assert.equal(Math.max(16, report.static.resources?.registersPerThread ?? NaN), rawNumber(launch, 'launch__registers_per_thread'), `${r.name}: registers`);
    assert.equal(report.static.resources?.staticSharedBytes, rawNumber(launch, 'launch__shared_mem_per_block_static'), `${r.name}: static shared memory`);
    assert.equal(report.static.occupancy?.theoreticalPct, rawNumber(launch, 'sm__maximum_warps_per_active_cycle_pct'), `${r.name}: occupancy`);
    assert.equal(report.static.occupancy?.limiter, 'warps', r.name);
    assert.equal(report.static.occupancyByBlockSize?.length, 32);
    assert.deepEqual(report.live, { status: 'absent', reason: 'not-requested', message: 'not requested (--static)' });
    assert.equal(report.kernel.qualifiedName, r.kernel);
    assert.match(report.kernel.kernelHash, /^[0-9a-f]{64}$/);
    if (r.name === 'spill') {
      assert.ok((report.static.resources?.spillStoreBytes ?? 0) > 0, 'ptxas spills');
      const hint = report.hints.find((h) => h.kind === 'register-spill');
      assert.equal(hint?.basis, 'static');
      assert.match(hint?.text ?? '', /ptxas spills \d+ bytes stored/);
    } else assert.ok(!report.hints.some((h) => h.kind === 'register-spill'), r.name);
  }
});

test('profile --static text: compact, with the limiter and why live figures are absent; a kernel without a spec still gets occupancy by block size', { timeout: 300_000 }, async () => {
  const target = localTarget();
  const workspace = tempDir('profile-static-text');
  const strided = RECORDED.find((r) => r.name === 'strided');
  assert.ok(strided);
  const { output } = await profileCommand([strided.file], { kernel: strided.kernel, spec: strided.spec, static: true, json: false, workspace, arch: 'sm_80' }, { target, progress: quiet });
  assert.match(output, /^gather_strided · strided\.cu:5 · sm_80 · target local$/m);
  assert.match(output, /occupancy 100 % theoretical at 256 threads\/block \(limit: warps/);
  assert.match(output, /18 registers/);
  assert.match(output, /live figures: none — not requested \(--static\)/);
  assert.ok(output.split('\n').length < 15, output);
  // No spec in the workspace and none given: inference still finds one for this simple kernel, or the report says why not.
  const { output: json } = await profileCommand([strided.file], { kernel: strided.kernel, static: true, json: true, workspace, arch: 'sm_90' }, { target, progress: quiet });
  const report = JSON.parse(json) as ProfileReport;
  assert.equal(report.static.occupancyByBlockSize?.find((p) => p.blockSize === 1024)?.theoreticalPct, 100);
});

test('the bundled CLI: profile --static --json with no GPU gives registers, theoretical occupancy and its limiter; without --static it says why there are no live figures', { timeout: 300_000, skip: !existsSync(join(REPO, 'dist/cli.js')) && 'dist/cli.js not built (npm run build)' }, () => {
  const workspace = tempDir('profile-bundle');
  const args = ['test/fixtures/profile/kernels/spill.cu', '--kernel', 'spill_accumulate', '--spec', 'test/fixtures/profile/kernels/spill.spec.json', '--workspace', workspace];
  // A PATH without nvidia-smi or ncu, as on CI: only nvcc's folder and the system's.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:/usr/local/cuda/bin:/usr/bin:/bin` };
  const r = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'profile', ...args, '--static', '--json'], { cwd: REPO, encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as ProfileReport;
  assert.equal(report.static.resources?.registersPerThread, 32);
  assert.ok((report.static.resources?.spillStoreBytes ?? 0) > 0);
  assert.deepEqual([report.static.occupancy?.theoreticalPct, report.static.occupancy?.limiter], [100, 'warps']);
  assert.ok(report.hints.some((h) => h.kind === 'register-spill'));
  const live = spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'profile', ...args], { cwd: REPO, encoding: 'utf8', env });
  assert.equal(live.status, 0, live.stderr);
  assert.match(live.stdout, /live figures: none — no CUDA device on target 'local' \(nvidia-smi found none\)/);
  assert.match(live.stdout, /spill\.cu:\d+ Register spill: ptxas spills \d+ bytes stored|\d\. Register spill: ptxas spills \d+ bytes stored/);
});
