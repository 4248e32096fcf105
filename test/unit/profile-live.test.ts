// The live path with stand-ins for the GPU's tools: a `nvidia-smi` that lists an H200 and an `ncu` that replays the
// H200 recordings (or fails the way the real one does). What ncu is asked (one launch, the sections, the escaped
// kernel name, --clock-control), what the report makes of its exports, and the messages when ncu is missing or the
// counters are not permitted.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { profileLive } from '../../server/src/bench/profile-job';
import { onThisMachine } from '../../server/src/targets/this-machine';
import type { Target } from '../../server/src/targets/target';
import { tempDir } from './harness-helpers';
import { localTarget } from './local-target';
import { NCU_DIR, RECORDED } from './profile-fixtures';

const PERM = '==ERROR== ERR_NVGPUCTRPERM - The user does not have permission to access NVIDIA GPU Performance Counters on the target device 0. For instructions on enabling permissions and to get more information see https://developer.nvidia.com/ERR_NVGPUCTRPERM';

/** A folder with `nvidia-smi` (one H200) and `ncu` replaying recording `name`; `mode` picks how the profiling run ends. */
function fakeTools(name: string, mode: 'ok' | 'perm' | 'nothing' | 'hang'): { bin: string; argsFile: string } {
  const bin = join(tempDir('profile-tools'), 'bin');
  mkdirSync(bin, { recursive: true });
  const argsFile = join(bin, '..', 'ncu-args.txt');
  const at = (kind: string) => `'${join(NCU_DIR, `${name}.${kind}`)}'`;
  const runs = { ok: `cat ${at('ncu.log')}; exit 0`, perm: `echo '${PERM}'; exit 1`, nothing: `echo '==WARNING== No kernels were profiled.'; exit 0`, hang: 'sleep 60' };
  const run = runs[mode];
  writeFileSync(join(bin, 'nvidia-smi'), '#!/bin/sh\necho "NVIDIA H200, 9.0, 143771, 580.159.04"\n');
  writeFileSync(
    join(bin, 'ncu'),
    `#!/bin/sh
printf '%s\\n' "$*" >> '${argsFile}'
case "$1" in
  --version) echo 'NVIDIA (R) Nsight Compute Command Line Profiler'; echo 'Version 2025.3.1.0 (build 36398880) (public-release)'; exit 0;;
  -i) case "$*" in *"--page raw"*) cat ${at('raw.csv')};; *"--page details"*) cat ${at('details.csv')};; *"--page source"*) cat ${at('source.csv')};; esac; exit 0;;
esac
${run}
`,
  );
  for (const tool of ['nvidia-smi', 'ncu']) chmodSync(join(bin, tool), 0o755);
  return { bin, argsFile };
}

/** This machine with the stand-in nvidia-smi in place of the real one. */
function fakeGpuTarget(bin: string): Target {
  const local = localTarget();
  return onThisMachine({ name: 'fake-h200', exec: (file, args, options) => local.exec(file === 'nvidia-smi' ? join(bin, 'nvidia-smi') : file, args, options) });
}

const strided = RECORDED.find((r) => r.name === 'strided');
assert.ok(strided);
const built = { runtime: { executable: '/nonexistent/kp_gate', cuptiDirs: [] }, version: '/nonexistent/v.so', kernel: { name: 'gather_strided' }, file: strided.file };

test('live: ncu is asked for one launch with every section and the source, and its exports land on the user\'s lines', { timeout: 60_000 }, async () => {
  const { bin, argsFile } = fakeTools('strided', 'ok');
  const result = await profileLive({ ...built, target: fakeGpuTarget(bin), ncu: join(bin, 'ncu') });
  assert.equal(result.live.status, 'measured');
  if (result.live.status !== 'measured') return;
  assert.equal(result.live.tool.ncuVersion, '2025.3.1.0');
  assert.equal(result.live.tool.clockControl, 'none');
  assert.equal(result.carveoutBytes, 32768);
  // The recording names /work/main/test/…/strided.cu; this checkout's file is elsewhere: lines still map.
  assert.ok(result.lines.find((l) => l.line === 7)?.l2SectorsGlobal);
  const calls = readFileSync(argsFile, 'utf8').trim().split('\n');
  const profileCall = calls.find((c) => c.includes('--section'));
  assert.ok(profileCall);
  for (const part of ['--clock-control none', '-k regex:(^|::)gather_strided$', '-c 1', '--section SpeedOfLight', '--section SourceCounters', '--section MemoryWorkloadAnalysis_Tables', '--import-source yes', '/nonexistent/kp_gate baseline --version /nonexistent/v.so']) assert.ok(profileCall.includes(part), `${part} in ${profileCall}`);
  assert.ok(calls.some((c) => /^-i .*run\.ncu-rep --page source --csv --print-source cuda,sass$/.test(c)));
});

test('live: --clock-control base is passed on; a name with regex characters is escaped', { timeout: 60_000 }, async () => {
  const { bin, argsFile } = fakeTools('strided', 'ok');
  await profileLive({ ...built, kernel: { name: 'k$1.x' }, clockControl: 'base', target: fakeGpuTarget(bin), ncu: join(bin, 'ncu') });
  const profileCall = readFileSync(argsFile, 'utf8').split('\n').find((c) => c.includes('--section')) ?? '';
  assert.ok(profileCall.includes('--clock-control base'), profileCall);
  assert.ok(profileCall.includes('-k regex:(^|::)k\\$1\\.x$'), profileCall);
});

test('live: counters not permitted (ERR_NVGPUCTRPERM) → absent with how to enable them', { timeout: 60_000 }, async () => {
  const { bin } = fakeTools('strided', 'perm');
  const { live } = await profileLive({ ...built, target: fakeGpuTarget(bin), ncu: join(bin, 'ncu') });
  assert.equal(live.status, 'absent');
  if (live.status !== 'absent') return;
  assert.equal(live.reason, 'counters-not-permitted');
  assert.match(live.message, /ERR_NVGPUCTRPERM/);
  assert.match(live.message, /NVreg_RestrictProfilingToAdminUsers=0/);
  assert.match(live.message, /target 'fake-h200'/);
});

test('live: ncu missing, no kernel profiled, no GPU → absent with the reason', { timeout: 60_000 }, async () => {
  const { bin } = fakeTools('strided', 'nothing');
  const missing = await profileLive({ ...built, target: fakeGpuTarget(bin), ncu: join(bin, 'no-such-ncu') });
  assert.equal(missing.live.status === 'absent' && missing.live.reason, 'ncu-missing');
  assert.match(missing.live.status === 'absent' ? missing.live.message : '', /Nsight Compute .*was not found on target 'fake-h200': install Nsight Compute/);
  const nothing = await profileLive({ ...built, target: fakeGpuTarget(bin), ncu: join(bin, 'ncu') });
  assert.equal(nothing.live.status === 'absent' && nothing.live.reason, 'failed');
  assert.match(nothing.live.status === 'absent' ? nothing.live.message : '', /profiled no launch named 'gather_strided'/);
  const noGpu = onThisMachine({ name: 'no-gpu', exec: (file, args, options) => localTarget().exec(file === 'nvidia-smi' ? '/nonexistent/nvidia-smi' : file, args, options) });
  const none = await profileLive({ ...built, target: noGpu, ncu: join(bin, 'ncu') });
  assert.equal(none.live.status === 'absent' && none.live.reason, 'no-gpu');
});

test('CLI: profile on a GPU whose counters are not permitted builds as bench does, then prints the static report and why live figures are absent', { timeout: 600_000 }, async () => {
  const { profileCommand } = await import('../../server/src/cli/profile');
  const { bin } = fakeTools('strided', 'perm');
  const { output, exitCode } = await profileCommand([strided.file], { kernel: strided.kernel, spec: strided.spec, static: false, json: false, workspace: tempDir('profile-cli'), ncu: join(bin, 'ncu') }, { target: fakeGpuTarget(bin), progress: () => undefined });
  assert.equal(exitCode, 0);
  assert.match(output, /gather_strided · strided\.cu:5 · sm_90 · target fake-h200/);
  assert.match(output, /occupancy 100 % theoretical/);
  assert.match(output, /live figures: none — the GPU driver on target 'fake-h200' does not let this user read the performance counters \(ERR_NVGPUCTRPERM\)/);
});

test('SASS where cuobjdump and nvdisasm are (stand-ins replaying the H200 disassembly): widths, local traffic and the per-line mix; nothing left in scratch', { timeout: 60_000 }, async () => {
  const { disassemble } = await import('../../server/src/profile/sass-run');
  const { sassOf } = await import('../../server/src/profile/static');
  const bin = join(tempDir('profile-sass'), 'bin');
  mkdirSync(bin, { recursive: true });
  const at = (kind: string) => `'${join(NCU_DIR, `spill.${kind}`)}'`;
  writeFileSync(join(bin, 'cuobjdump'), `#!/bin/sh\ncase "$1" in\n  -sass) cat ${at('sass.txt')};;\n  -lelf) echo 'ELF file    1: version.1.sm_90.cubin';;\n  -xelf) echo cubin > version.1.sm_90.cubin;;\nesac\n`);
  writeFileSync(join(bin, 'nvdisasm'), `#!/bin/sh\ntest -f "$3" && cat ${at('nvdisasm.txt')}\n`);
  for (const tool of ['cuobjdump', 'nvdisasm']) chmodSync(join(bin, tool), 0o755);
  const target = localTarget();
  const scratchBefore = scratchFolders();
  const { disassembly, note } = await disassemble(target, '/nonexistent/v.so', join(bin, 'nvcc'));
  assert.equal(note, undefined);
  assert.ok(disassembly?.nvdisasm, 'the extracted cubin was disassembled');
  const spill = RECORDED.find((r) => r.name === 'spill');
  const { sass, lines } = sassOf(disassembly, '_Z16spill_accumulateiPKfPf', spill?.file ?? '');
  assert.ok(sass && sass.localLoads > 0 && sass.localStores > 0, JSON.stringify(sass));
  assert.ok(lines.some((l) => (l.sassMix?.STL ?? 0) > 0 && l.line === 14));
  assert.deepEqual(scratchFolders(), scratchBefore);
  const missing = await disassemble(target, '/nonexistent/v.so', '/nonexistent/bin/nvcc');
  assert.match(missing.note ?? '', /no SASS facts: \/nonexistent\/bin\/cuobjdump is not on target 'local'/);
});

/** This process's profile and sass scratch folders in the private scratch folder. */
function scratchFolders(): string[] {
  const root = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kernelpilot', 'scratch');
  return existsSync(root) ? readdirSync(root).filter((n) => new RegExp(`^(profile|sass)-${process.pid}-`).test(n)) : [];
}

test('live: ncu\'s scratch folder is removed after the run, and after a cancel, which kills ncu at once', { timeout: 60_000 }, async () => {
  const { bin } = fakeTools('strided', 'ok');
  await profileLive({ ...built, target: fakeGpuTarget(bin), ncu: join(bin, 'ncu') });
  assert.deepEqual(scratchFolders(), []);
  const hang = fakeTools('strided', 'hang');
  const controller = new AbortController();
  const started = performance.now();
  setTimeout(() => controller.abort(), 1000);
  const { live } = await profileLive({ ...built, target: fakeGpuTarget(hang.bin), ncu: join(hang.bin, 'ncu'), signal: controller.signal });
  assert.equal(live.status === 'absent' && live.reason, 'cancelled');
  assert.ok(performance.now() - started < 20_000, 'not the 60 s of the hanging ncu');
  assert.deepEqual(scratchFolders(), []);
});
