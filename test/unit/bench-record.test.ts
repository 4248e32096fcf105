import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckEvent, DeviceInfo, TimingEvent } from '../../server/src/harness/protocol';
import type { BenchSpec } from '../../server/src/benchspec/model';
import type { CandidateEvidence } from '../../server/src/derive/probes';
import { lensText } from '../../server/src/bench/format';
import { mulberry32, normalSampler } from '../../server/src/derive/prng';
import { checkRederivation, createRunRecord, listRuns, readRunRecord, rederive, runDir, runId, writeRunRecord } from '../../server/src/runs/record';
import type { RunRecord, RunRecordInput } from '../../server/src/runs/record';
import { sha256File, sha256Text } from '../../server/src/runs/hash';

const device: DeviceInfo = { name: 'NVIDIA H200', computeCapability: '9.0', smCount: 132, l2Bytes: 60 << 20, globalMemBytes: 141e9, driverVersion: 13000, runtimeVersion: 13000 };
const N = 256;
const spec: BenchSpec = {
  version: 1,
  kernel: 'demo::vadd<float>',
  sizes: { n: N },
  args: [
    { name: 'x', role: 'input', dtype: 'float32', shape: ['n'] },
    { name: 'y', role: 'input', dtype: 'float32', shape: ['n'] },
    { name: 'out', role: 'output', dtype: 'float32', shape: ['n'] },
  ],
  launch: { grid: ['cdiv(n, 256)'], block: ['256'] },
};

const span = { kernelMs: 0.01, launchMs: 0.004, wallMs: 0.02, activities: 1, streams: 1 };

/** One check as the gate runtime reports it: the candidate matched the reference everywhere. */
function check(seed: number): CheckEvent {
  return {
    kind: 'check',
    seed,
    sizes: { n: N },
    candidateLaunch: span,
    baselineLaunch: span,
    inputs: [
      { name: 'x', before: '01', after: '01' },
      { name: 'y', before: '02', after: '02' },
    ],
    outputs: [{ name: 'out', elements: N, failures: 0, nonFiniteBaseline: 0, nonFiniteCandidate: 0, maxAbsErr: 1e-7, maxRelErr: 1e-6, unwritten: 0, baselineUnwritten: 0 }],
    pointers: { x: '0x1000', y: '0x2000', out: '0x3000' },
  };
}

function timings(): { baselineMs: number[]; candidateMs: number[] } {
  const z = normalSampler(mulberry32(77));
  const baselineMs = Array.from({ length: 200 }, () => 0.05 * (1 + 0.02 * z()));
  const candidateMs = Array.from({ length: 200 }, () => 0.04 * (1 + 0.02 * z()));
  return { baselineMs, candidateMs };
}

function evidence(): CandidateEvidence {
  const { baselineMs, candidateMs } = timings();
  const series = (ms: number[]) => ({ kernelMs: ms, launchMs: ms.map(() => 0.004), wallMs: ms.map((x) => x + 0.01), activities: ms.map(() => 1), streams: ms.map(() => 1) });
  const timing: TimingEvent = {
    kind: 'timing',
    method: 'cupti-activity',
    sizes: { n: N },
    seed: 100,
    warmup: 3,
    sets: 2,
    l2FlushBytes: 256 << 20,
    pairs: baselineMs.length,
    verifiedLaunches: baselineMs.length + 3,
    baseline: series(baselineMs),
    candidate: series(candidateMs),
    verification: { outputs: [{ name: 'out', failures: baselineMs.map(() => 0), unwritten: baselineMs.map(() => 0) }], inputsChanged: baselineMs.map(() => 0) },
    unaccountedActivities: 0,
  };
  return { plan: { seeds: [11, 12, 13], sweep: [], sizes: spec.sizes }, checks: [11, 12, 13].map(check), repeat: { kind: 'repeat', seed: 11, outputs: [{ name: 'out', differing: 0 }] }, timing, state: [] };
}

async function recordedRun(): Promise<{ workspace: string; folder: string; record: RunRecord }> {
  const workspace = mkdtempSync(join(tmpdir(), 'kp-ws-'));
  const now = new Date('2026-11-21T12:34:56.789Z');
  const id = runId(now, spec.kernel, 'abcd1234');
  const folder = runDir(workspace, id);
  const bin = join(workspace, 'cand.so');
  writeFileSync(bin, 'not really an ELF');
  const candidate = evidence();
  const timing = candidate.timing as TimingEvent;
  const input: RunRecordInput = {
    kind: 'compare',
    kernel: spec.kernel,
    spec,
    sizes: spec.sizes,
    seeds: { check: [11, 12, 13], time: 100, sets: 2 },
    timings: {
      order: 'interleaved',
      method: 'cupti-activity',
      baselineMs: timing.baseline.kernelMs,
      baselineLaunchMs: timing.baseline.launchMs,
      baselineWallMs: timing.baseline.wallMs,
      candidateMs: timing.candidate?.kernelMs,
      candidateLaunchMs: timing.candidate?.launchMs,
      candidateWallMs: timing.candidate?.wallMs,
      warmup: 3,
      l2FlushBytes: 256 << 20,
    },
    evidence: { candidate },
    gpu: { name: device.name, computeCapability: device.computeCapability, driverVersion: '580.159.04', index: 0, device },
    nvccVersion: '13.0.88',
    binaries: [{ role: 'candidate', path: bin, sha256: await sha256File(bin) }],
    harnessSources: [{ path: 'version.cu', sha256: sha256Text('int main() {}') }],
    commands: [['./kp_gate', 'evaluate', '--baseline', 'b.so', '--candidate', 'cand.so']],
    ceilings: { copyBytesPerSecond: 4.3e12, fp32FlopsPerSecond: 60e12, source: 'cache', measuredAt: '2026-11-20T00:00:00.000Z' },
    roofline: { bytes: 3 * 4 * N, flops: N },
    analysis: { confidence: 0.99, compare: { alpha: 0.01, minEffect: 0.01 } },
  };
  const record = createRunRecord(input, { now, shortId: 'abcd1234' });
  assert.equal(record.id, id);
  assert.equal(record.version, 2);
  // The record's analysis parameters are the ones applied (and pinned: the bootstrap seed defaults to 1).
  assert.equal(record.summary.candidate?.medianCI.requested, 0.99);
  assert.equal(record.summary.comparison?.speedupCI.seed, 1);
  assert.equal(record.analysis.compare.seed, 1);
  // The probes were derived from the evidence, and kept for readers.
  assert.deepEqual(record.probes?.filter((p) => !p.passed).map((p) => p.name), []);
  assert.ok(record.probes?.some((p) => p.name === 'timed' && p.passed));
  await writeRunRecord(workspace, record);
  return { workspace, folder, record };
}

test('run ids sort by time and are folder-safe', () => {
  assert.equal(runId(new Date('2026-11-21T12:34:56.789Z'), 'demo::vadd<float>', 'abcd1234'), '2026-11-21T12-34-56Z-demo_vadd_float_-abcd1234');
  assert.match(runId(new Date(), 'k'), /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-k-[0-9a-f]{8}$/);
});

test('a record round-trips through disk and re-derives every shown number', async () => {
  const { workspace, folder, record } = await recordedRun();
  assert.ok(readFileSync(join(folder, 'record.json'), 'utf8').includes('"baselineMs"'));
  const loaded = await readRunRecord(folder);
  assert.deepEqual(loaded, JSON.parse(JSON.stringify(record)));
  const check = checkRederivation(loaded);
  assert.deepEqual(check.differences, []);
  assert.equal(check.ok, true);
  const fresh = rederive(loaded);
  assert.equal(fresh.comparison?.speedup, loaded.summary.comparison?.speedup);
  assert.deepEqual(fresh.comparison?.speedupCI, loaded.summary.comparison?.speedupCI);
  assert.equal(fresh.candidate?.medianCI.low, loaded.summary.candidate?.medianCI.low);
  assert.equal(loaded.summary.gate?.status, 'faster');
  assert.equal(lensText(fresh), lensText({ ...loaded.summary }));
  assert.match(lensText(fresh), /^1\.25× faster · /);
  assert.deepEqual(await listRuns(workspace), [record.id]);
  assert.equal(fresh.candidateLaunch?.median, 0.004);
  assert.equal(fresh.method, 'cupti-activity');
  assert.deepEqual(fresh.verification?.probes, loaded.probes, 'the probes re-derive from the evidence');
});

test('a tampered record no longer re-derives', async () => {
  const { folder } = await recordedRun();
  const loaded = await readRunRecord(folder);
  const faster = { ...loaded, timings: { ...loaded.timings, candidateMs: loaded.timings.candidateMs!.map((t) => t * 0.9) } };
  const r1 = checkRederivation(faster);
  assert.equal(r1.ok, false);
  assert.ok(r1.differences.some((d) => d.startsWith('/summary/candidate/median')), r1.differences.join('\n'));
  // Evidence that a timed launch did not match: the stored verdict no longer follows from it.
  const candidate = loaded.evidence?.candidate as CandidateEvidence;
  const timing = candidate.timing as TimingEvent;
  const failures = timing.verification?.outputs[0].failures.map((f, i) => (i === 7 ? 3 : f)) ?? [];
  const lied = { ...loaded, evidence: { candidate: { ...candidate, timing: { ...timing, verification: { outputs: [{ name: 'out', failures, unwritten: failures.map(() => 0) }], inputsChanged: failures.map(() => 0) } } } } };
  const r2 = checkRederivation(lied);
  assert.ok(r2.differences.some((d) => d.startsWith('/summary/gate/status')), r2.differences.join('\n'));
  assert.ok(r2.differences.some((d) => d.startsWith('/verdict/accepted')), r2.differences.join('\n'));
  assert.ok(r2.differences.some((d) => d.startsWith('/probes/')), r2.differences.join('\n'));
});

test('records are never overwritten, and malformed ones are named', async () => {
  const { workspace, folder, record } = await recordedRun();
  await assert.rejects(writeRunRecord(workspace, record), /already exists/);
  writeFileSync(join(folder, 'record.json'), JSON.stringify({ version: 1, id: 'x' }));
  await assert.rejects(readRunRecord(folder), /lacks or has malformed: kernel, spec, timings\.baselineMs/);
  writeFileSync(join(folder, 'record.json'), JSON.stringify({ version: 3 }));
  await assert.rejects(readRunRecord(folder), /has version 3; this KernelPilot reads versions 1 and 2/);
  assert.deepEqual(await listRuns(join(workspace, 'nowhere')), []);
});

test('a baseline-only record with NaN statistics survives JSON', async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'kp-ws-'));
  const record = createRunRecord({
    kernel: 'one',
    spec,
    sizes: spec.sizes,
    seeds: { check: [], time: 1 },
    timings: { order: 'baseline-only', baselineMs: [0.5] },
    gpu: { name: 'NVIDIA H200', computeCapability: '9.0', driverVersion: 13000 },
    binaries: [],
    harnessSources: [],
    commands: [],
    roofline: { bytes: 1e6 },
    analysis: { confidence: 0.95, compare: {} },
  });
  assert.ok(Number.isNaN(record.summary.baseline.cv));
  const folder = await writeRunRecord(workspace, record);
  assert.deepEqual(checkRederivation(await readRunRecord(folder)).differences, []);
});

test('sha256 of files and text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kp-hash-'));
  writeFileSync(join(dir, 'abc'), 'abc');
  assert.equal(await sha256File(join(dir, 'abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Text('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  await assert.rejects(sha256File(join(dir, 'missing')), /hashing .*missing/);
});
