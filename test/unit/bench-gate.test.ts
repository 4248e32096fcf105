import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSummary } from '../../server/src/derive/summary';
import { cliReport, hoverMarkdown, lensText, shortGpuName } from '../../server/src/bench/format';
import { verdictOf } from '../../server/src/derive/probes';
import type { Probe, ProbeName, VerifyResult } from '../../server/src/derive/probes';
import { mulberry32, normalSampler } from '../../server/src/derive/prng';

const GATE: ProbeName[] = ['seeds', 'match', 'written', 'inputs-unchanged', 'no-aliasing'];

function verification(overrides: Partial<Record<ProbeName, Partial<Probe>>> = {}): VerifyResult {
  const probes: Probe[] = [...GATE, 'not-trivial' as const, 'deterministic' as const].map((name) => ({
    name,
    passed: true,
    gate: GATE.includes(name),
    reason: name === 'seeds' ? '3 distinct seeds compared (1, 2, 3)' : `${name} ok`,
    ...(name === 'seeds' ? { details: { seeds: [1, 2, 3] } } : {}),
    ...overrides[name],
  }));
  return { probes, verdict: verdictOf(probes) };
}

/** 100 samples evenly spaced around `median` so that the 95 % CI (ranks 40 and 61) is ±halfWidthRel exactly. */
function spaced(median: number, halfWidthRel: number): number[] {
  const step = (halfWidthRel * median) / 10.5;
  return Array.from({ length: 100 }, (_, i) => median + (i - 49.5) * step);
}

const BYTES = 3.45e12 * 0.93e-3; // 3.45 TB/s at 0.93 ms
const CEILINGS = { copyBytesPerSecond: 3.45e12 / 0.8, fp32FlopsPerSecond: 60e12 };

test('the lens reads "0.93 ms ±0.3 % · 3.45 TB/s · 80 % of peak · H200"', () => {
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: spaced(0.93, 0.003), bytes: BYTES, ceilings: CEILINGS });
  assert.equal(lensText(s), '0.93 ms ±0.3 % · 3.45 TB/s · 80 % of peak · H200');
  assert.equal(s.baselineRoofline?.bound, 'memory');
});

function pairs(speedup: number, seed = 3): { a: number[]; b: number[] } {
  const z = normalSampler(mulberry32(seed));
  const a = Array.from({ length: 100 }, () => 1 + 0.01 * z());
  const b = Array.from({ length: 100 }, () => (1 + 0.01 * z()) / speedup);
  return { a, b };
}

test('accepted and faster: the speedup is shown', () => {
  const { a, b } = pairs(1.25);
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H100 80GB HBM3', baselineMs: a, candidateMs: b, bytes: 1e9, ceilings: { copyBytesPerSecond: 3.3e12, fp32FlopsPerSecond: 50e12 }, verification: verification() });
  assert.equal(s.gate?.status, 'faster');
  assert.equal(s.gate?.showSpeedup, true);
  assert.equal(s.gate?.accepted, true);
  assert.equal(s.gate?.headline, '1.25× faster');
  assert.match(lensText(s), /^1\.25× faster · 0\.80 ms ±\d\.\d % · 1\.25 TB\/s · 38 % of peak · H100$/);
});

test('a failed correctness probe rejects with the probe names and hides the time', () => {
  const { a, b } = pairs(1.25);
  const v = verification({ match: { passed: false, reason: 'seed 2: out[2, 5] = 1.5, baseline 1 (|Δ| 0.5 > allowed 1e-4)' }, written: { passed: false, reason: 'poison left' } });
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, bytes: 1e9, ceilings: CEILINGS, verification: v });
  assert.equal(s.gate?.status, 'rejected');
  assert.equal(s.gate?.showSpeedup, false);
  assert.deepEqual(s.gate?.failedProbes, ['match', 'written']);
  assert.equal(s.gate?.headline, 'rejected: match, written');
  assert.equal(lensText(s), '✗ rejected: match, written · H200');
  assert.match(s.gate?.reasons[0] ?? '', /failed probes: match, written — seed 2: out\[2, 5\]/);
});

test('a result beyond the measured copy bandwidth is rejected as impossible, never shown as a speedup', () => {
  const { a, b } = pairs(3);
  // 1 GB at ~0.33 ms is ~3 TB/s over a 1 TB/s ceiling.
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, bytes: 1e9, ceilings: { copyBytesPerSecond: 1e12, fp32FlopsPerSecond: 60e12 }, verification: verification() });
  assert.equal(s.gate?.status, 'rejected');
  assert.equal(s.gate?.showSpeedup, false);
  assert.match(s.gate?.headline ?? '', /^rejected: impossible: 3\.\d\d TB\/s exceeds measured copy bandwidth 1\.00 TB\/s/);
  // The baseline (1 TB/s) is within the margin, so only the candidate is blamed.
  assert.equal(s.gate?.reasons.length, 1);
  assert.match(lensText(s), /^✗ rejected: impossible: /);
});

test('no significant difference and slower are accepted but show no speedup; a weak spec is said', () => {
  const same = pairs(1, 11);
  const s = deriveSummary({ kernel: 'k', gpuName: 'NVIDIA H200', baselineMs: same.a, candidateMs: same.b, bytes: 1e6, verification: verification({ 'not-trivial': { passed: false, reason: "weak spec: an all-zero 'out' would also pass" } }) });
  assert.equal(s.gate?.status, 'no-significant-difference');
  assert.equal(s.gate?.showSpeedup, false);
  assert.equal(s.gate?.weakSpec, true);
  assert.match(s.gate?.headline ?? '', /^no significant difference \(1\.\d\d×\) · weak spec$/);
  assert.match(s.gate?.warnings[0] ?? '', /all-zero/);
  const slow = pairs(0.8);
  const t = deriveSummary({ kernel: 'k', gpuName: 'NVIDIA H200', baselineMs: slow.a, candidateMs: slow.b, bytes: 1e6, verification: verification() });
  assert.equal(t.gate?.status, 'slower');
  assert.equal(t.gate?.showSpeedup, false);
  assert.equal(t.gate?.headline, '0.80× (slower)');
});

test('a timed candidate without probes is rejected as unverified', () => {
  const { a, b } = pairs(2);
  const s = deriveSummary({ kernel: 'k', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, bytes: 1e6 });
  assert.equal(s.gate?.status, 'rejected');
  assert.equal(s.gate?.showSpeedup, false);
  assert.equal(lensText(s), '✗ rejected: not verified · H200');
});

test('hover markdown and CLI report carry the stats, the rule and every probe', () => {
  const { a, b } = pairs(1.1);
  const v = verification({ match: { passed: false, reason: 'out[0, 1] |Δ| 0.5 > allowed 1e-4' }, deterministic: { passed: false, reason: 'two runs differ' } });
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, bytes: 1e9, ceilings: CEILINGS, verification: v });
  const md = hoverMarkdown(s);
  assert.match(md, /\| median \| 1\.00 ms \| 0\.91 ms \|/);
  assert.match(md, /\| match \| ✗ \| out\\\[0, 1\\\] \\\|Δ\\\| 0\.5/);
  assert.match(md, /\| deterministic \| ⚠ \|/);
  assert.match(md, /Wilcoxon signed-rank/);
  const cli = cliReport(s);
  assert.match(cli, /^vadd on NVIDIA H200\nverdict: rejected: match/);
  assert.match(cli, /✗ +match +out\[0, 1\]/);
  assert.match(cli, /⚠ +deterministic +\(advisory\) +two runs differ/);
  assert.match(cli, /95 % CI of median +[\d.]+ ms – [\d.]+ ms/);
  assert.match(cli, /roofline +[\d.]+ TB\/s \(\d+ % of copy\), (memory|latency)-bound/);
});

test('withheld: a rejected candidate keeps its reasons but shows no time, speedup, interval or roofline of its own', () => {
  const { a, b } = pairs(1.25);
  const rejected = verification({ match: { passed: false, reason: 'seed 2: out[0] = 1.5, baseline 1' } });
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, bytes: 1e9, ceilings: CEILINGS, verification: rejected, withholdRejected: true });
  assert.equal(s.gate?.accepted, false);
  for (const key of ['candidate', 'candidateLaunch', 'candidateWall', 'comparison', 'candidateRoofline'] as const) assert.equal(s[key], undefined, key);
  assert.equal(s.gate?.speedup, undefined);
  assert.equal(s.gate?.speedupCI, undefined);
  // Impossibly fast: rejected by the roofline, and its figures withheld too.
  const fast = pairs(3);
  const t = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: fast.a, candidateMs: fast.b, bytes: 1e9, ceilings: { copyBytesPerSecond: 1e12, fp32FlopsPerSecond: 60e12 }, verification: verification(), withholdRejected: true });
  assert.match(t.gate?.headline ?? '', /^rejected: impossible: /);
  assert.equal(t.candidate, undefined);
  assert.equal(t.gate?.speedup, undefined);
});

test('the timing method, launch overhead, wall time and trust notes reach the hover and the CLI report', () => {
  const { a, b } = pairs(1.25);
  const launch = a.map(() => 0.004);
  const wall = a.map((x) => x + 0.012);
  const trust = { keepsDeviceState: true, variables: [], notes: ["keeps device state across launches: 'n' (4 B, changed during timing)"] };
  const s = deriveSummary({ kernel: 'vadd', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, method: 'cupti-activity', baselineLaunchMs: launch, baselineWallMs: wall, candidateLaunchMs: launch, candidateWallMs: b.map((x) => x + 0.012), bytes: 1e9, ceilings: CEILINGS, verification: verification(), trust });
  const md = hoverMarkdown(s);
  assert.match(md, /\| launch overhead \(median\) \| 4\.00 µs \| 4\.00 µs \|/);
  assert.match(md, /\| wall, launch to sync \(median\) \| 1\.01 ms \| 0\.81 ms \|/);
  assert.match(md, /first to last GPU activity of the launch, on any stream \(CUPTI kernel records; traced kernels run one at a time/);
  assert.match(md, /\*\*trust\*\*\n- keeps device state/);
  const cli = cliReport(s);
  assert.match(cli, /launch overhead \(median\) +4\.00 µs +4\.00 µs/);
  assert.match(cli, /timing: kernel time: first to last GPU activity/);
  assert.match(cli, /trust:\n +· keeps device state/);
});

test('GPU names shorten to the model', () => {
  assert.equal(shortGpuName('NVIDIA H200'), 'H200');
  assert.equal(shortGpuName('NVIDIA H100 80GB HBM3'), 'H100');
  assert.equal(shortGpuName('NVIDIA H100 PCIe'), 'H100');
  assert.equal(shortGpuName('NVIDIA GeForce RTX 4090'), 'RTX 4090');
  assert.equal(shortGpuName('NVIDIA A100-SXM4-80GB'), 'A100-SXM4-80GB');
});

test('a baseline measuring faster than the copy ceiling rejects the comparison: the bytes or the ceilings are wrong', { timeout: 10_000 }, () => {
  // 1.5 GB in ~1 ms is 1.5 TB/s over a 1 TB/s ceiling; the candidate (2× slower, 0.75 TB/s) is possible on its own.
  const { a, b } = pairs(0.5);
  const s = deriveSummary({ kernel: 'k', gpuName: 'NVIDIA H200', baselineMs: a, candidateMs: b, bytes: 1.5e9, ceilings: { copyBytesPerSecond: 1e12, fp32FlopsPerSecond: 60e12 }, verification: verification() });
  assert.equal(s.candidateRoofline?.impossible, false);
  assert.equal(s.baselineRoofline?.impossible, true);
  assert.equal(s.gate?.accepted, false);
  assert.equal(s.gate?.status, 'rejected');
  assert.equal(s.gate?.showSpeedup, false);
  assert.match(s.gate?.reasons.join('\n') ?? '', /the baseline itself measures as impossible: .*check the spec's roofline bytes and the ceilings/);
});
