import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { CheckReport, DeviceInfo } from '../../server/src/harness/protocol';
import type { BenchSpec } from '../../server/src/benchspec/model';
import { verify } from '../../server/src/bench/verify';
import type { CheckRun } from '../../server/src/bench/verify';
import { lensText } from '../../server/src/bench/format';
import { mulberry32, normalSampler } from '../../server/src/bench/prng';
import { checkRederivation, createRunRecord, listRuns, readRunRecord, rederive, runDir, runId, writeRunRecord } from '../../server/src/runs/record';
import type { RunRecord, RunRecordInput } from '../../server/src/runs/record';
import { checkDir, reverify } from '../../server/src/runs/reverify';
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

function values(seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: N }, () => r() * 2 - 1);
}

/** Writes a check's dump where a real run would put it (inside the run folder) and returns its report. */
function check(folder: string, side: 'baseline' | 'candidate', seed: number): CheckRun {
  const dir = checkDir(folder, side, seed);
  mkdirSync(dir, { recursive: true });
  const v = values(seed);
  writeFileSync(join(dir, 'out.bin'), new Uint8Array(v.buffer));
  const report: CheckReport = {
    kind: 'check',
    seed,
    device,
    outputs: [{ name: 'out', dtype: 'float32', elements: N, file: 'out.bin' }],
    inputChecksumsBefore: { x: '01', y: '02' },
    inputChecksumsAfter: { x: '01', y: '02' },
    pointers: { x: '0x1000', y: '0x2000', out: '0x3000' },
    kernelMs: 0.01,
  };
  return { report, dir };
}

function timings(): { baselineMs: number[]; candidateMs: number[] } {
  const z = normalSampler(mulberry32(77));
  const baselineMs = Array.from({ length: 200 }, () => 0.05 * (1 + 0.02 * z()));
  const candidateMs = Array.from({ length: 200 }, () => 0.04 * (1 + 0.02 * z()));
  return { baselineMs, candidateMs };
}

async function recordedRun(): Promise<{ workspace: string; folder: string; record: RunRecord }> {
  const workspace = mkdtempSync(join(tmpdir(), 'kp-ws-'));
  const now = new Date('2026-11-21T12:34:56.789Z');
  const id = runId(now, spec.kernel, 'abcd1234');
  const folder = runDir(workspace, id);
  const seeds = [11, 12, 13];
  const baseline = seeds.map((s) => check(folder, 'baseline', s));
  const candidate = seeds.map((s) => check(folder, 'candidate', s));
  const verification = await verify({ spec, baseline, candidate });
  const bin = join(workspace, 'cand.bin');
  writeFileSync(bin, 'not really an ELF');
  const input: RunRecordInput = {
    kernel: spec.kernel,
    spec,
    sizes: spec.sizes,
    seeds: { check: seeds, time: 100, sets: 4 },
    timings: { order: 'interleaved', ...timings(), warmup: 3, l2FlushBytes: 256 << 20 },
    checks: {
      baseline: baseline.map((c) => ({ report: c.report, dir: relative(folder, c.dir) })),
      candidate: candidate.map((c) => ({ report: c.report, dir: relative(folder, c.dir) })),
    },
    probes: verification.probes,
    gpu: { name: device.name, computeCapability: device.computeCapability, driverVersion: '580.159.04', index: 0, device },
    nvccVersion: '13.0.88',
    binaries: [{ role: 'candidate', path: bin, sha256: await sha256File(bin) }],
    harnessSources: [{ path: 'harness.cu', sha256: sha256Text('int main() {}') }],
    commands: [['./cand.bin', 'check', '--seed', '11', '--out', 'checks/candidate/seed-11']],
    ceilings: { copyBytesPerSecond: 4.3e12, fp32FlopsPerSecond: 60e12, source: 'cache', measuredAt: '2026-11-20T00:00:00.000Z' },
    roofline: { bytes: 3 * 4 * N, flops: N },
    analysis: { confidence: 0.99, compare: { alpha: 0.01, minEffect: 0.01 } },
  };
  const record = createRunRecord(input, { now, shortId: 'abcd1234' });
  assert.equal(record.id, id);
  // The record's analysis parameters are the ones applied (and pinned: the bootstrap seed defaults to 1).
  assert.equal(record.summary.candidate?.medianCI.requested, 0.99);
  assert.equal(record.summary.comparison?.speedupCI.seed, 1);
  assert.equal(record.analysis.compare.seed, 1);
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
  // The probes re-derive too, from the dumps kept in the run folder.
  const again = await reverify(loaded, folder);
  assert.deepEqual(again.probes, loaded.probes);
});

test('a tampered record no longer re-derives', async () => {
  const { folder } = await recordedRun();
  const loaded = await readRunRecord(folder);
  const faster = { ...loaded, timings: { ...loaded.timings, candidateMs: loaded.timings.candidateMs!.map((t) => t * 0.9) } };
  const r1 = checkRederivation(faster);
  assert.equal(r1.ok, false);
  assert.ok(r1.differences.some((d) => d.startsWith('/summary/candidate/median')), r1.differences.join('\n'));
  const lied = { ...loaded, probes: loaded.probes!.map((p) => (p.name === 'match' ? { ...p, passed: false } : p)) };
  const r2 = checkRederivation(lied);
  assert.ok(r2.differences.some((d) => d.startsWith('/summary/gate/status')), r2.differences.join('\n'));
  assert.ok(r2.differences.some((d) => d.startsWith('/verdict/accepted')), r2.differences.join('\n'));
});

test('records are never overwritten, and malformed ones are named', async () => {
  const { workspace, folder, record } = await recordedRun();
  await assert.rejects(writeRunRecord(workspace, record), /already exists/);
  writeFileSync(join(folder, 'record.json'), JSON.stringify({ version: 1, id: 'x' }));
  await assert.rejects(readRunRecord(folder), /lacks or has malformed: kernel, spec, timings\.baselineMs/);
  writeFileSync(join(folder, 'record.json'), JSON.stringify({ version: 2 }));
  await assert.rejects(readRunRecord(folder), /has version 2/);
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
