// `kernelpilot profile` live on a GPU machine with Nsight Compute: every example profiled (live figures present,
// ncu's theoretical occupancy equal to ours), and the three planted problems of test/fixtures/profile/kernels flagged:
// the strided load on strided.cu line 8, the spill, the small grid. Runs the shipped dist/cli.js (npm run test:gpu
// builds it). KP_PROFILE_OUT=DIR keeps every report (JSON and text) there, for the record.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import type { ProfileReport } from '../../server/src/profile/report';

const REPO = resolve(__dirname, '../..');
const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
const ncu = spawnSync('ncu', ['--version'], { encoding: 'utf8' });
const skip = !(smi.status === 0 && /^GPU \d+:/m.test(smi.stdout ?? '')) ? 'no CUDA device (nvidia-smi found none)' : ncu.status !== 0 ? 'no Nsight Compute (ncu) on PATH' : false;
const out = process.env.KP_PROFILE_OUT;
const workspace = mkdtempSync(join(tmpdir(), 'kp-profile-gpu-'));

function profile(file: string, kernel: string, spec: string, name: string): ProfileReport {
  const run = (json: boolean) => spawnSync(process.execPath, [join(REPO, 'dist/cli.js'), 'profile', file, '--kernel', kernel, '--spec', spec, '--workspace', workspace, ...(json ? ['--json'] : [])], { encoding: 'utf8', timeout: 600_000 });
  const r = run(true);
  assert.equal(r.status, 0, `${name}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as ProfileReport;
  if (out) {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${name}.profile.json`), r.stdout);
    writeFileSync(join(out, `${name}.profile.txt`), run(false).stdout);
  }
  assert.equal(report.live.status, 'measured', `${name}: ${report.live.status === 'absent' ? report.live.message : ''}`);
  return report;
}

const examples = readdirSync(join(REPO, 'examples/cuda'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

test('every example profiles live: speed of light, occupancy equal to ours, a bottleneck and hints', { skip, timeout: 1_800_000 }, () => {
  for (const name of examples) {
    const dir = join(REPO, 'examples/cuda', name);
    const report = profile(join(dir, `${name}.cu`), name, join(dir, `${name}.spec.json`), name);
    if (report.live.status !== 'measured') continue;
    assert.ok(report.live.durationNs > 0 && report.live.memoryPct > 0, name);
    assert.equal(report.static.occupancy?.theoreticalPct, report.live.theoreticalOccupancyPct, `${name}: theoretical occupancy`);
    assert.ok(report.classification, name);
    assert.ok(report.lines.length > 0, `${name}: per-line figures on the user's file`);
  }
});

const kernels = join(REPO, 'test/fixtures/profile/kernels');
const hintKernel = (name: string, kernel: string) => profile(join(kernels, `${name}.cu`), kernel, join(kernels, `${name}.spec.json`), name);

test('strided: the uncoalesced load is flagged on strided.cu line 8', { skip, timeout: 600_000 }, () => {
  const hint = hintKernel('strided', 'gather_strided').hints.find((h) => h.kind === 'uncoalesced-access');
  assert.equal(hint?.line, 7);
  assert.match(hint?.title ?? '', /Uncoalesced global load/);
});

test('spill: the register-spill hint', { skip, timeout: 600_000 }, () => {
  const report = hintKernel('spill', 'spill_accumulate');
  const hint = report.hints.find((h) => h.kind === 'register-spill');
  assert.ok(hint);
  assert.ok((report.static.resources?.spillStoreBytes ?? 0) > 0);
  assert.ok(report.live.status === 'measured' && report.live.localSpillingRequests > 0);
});

test('small_grid: the small-grid hint', { skip, timeout: 600_000 }, () => {
  const hint = hintKernel('small_grid', 'scale_few_blocks').hints.find((h) => h.kind === 'small-grid');
  assert.match(hint?.text ?? '', /^Small grid: 8 blocks for \d+ SMs/);
});
