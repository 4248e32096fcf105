// The whole gate (spec → builds → prepare → per-candidate runtime process → probes → interleaved verified timing →
// roofline → gate → record) on the stand-in GPU (job-fake-gpu.ts): every cheating vector_add candidate is rejected
// with the right probe named and never timed further, the honest fast one is accepted with its speedup, records
// re-derive what was shown, and the prepared evaluation compiles in parallel, takes the GPU in turns and cancels
// cleanly.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepare, type EvaluationEvent } from '../../server/src/bench/evaluation';
import { benchKernel, compareCandidates, type CandidateResult, type JobResult } from '../../server/src/bench/job';
import { compareCommand } from '../../server/src/cli/bench';
import { checkRederivation, readRunRecord } from '../../server/src/runs/record';
import { FakeGpuTarget, type FakeGpuOptions } from './job-fake-gpu';
import { EXAMPLES, tempDir } from './harness-helpers';

const N = 4096;
const dir = join(EXAMPLES, 'vector_add');
const baselineFile = join(dir, 'vector_add.cu');

function setup(fake: FakeGpuOptions = {}) {
  const workspace = tempDir('job-compare');
  const specPath = join(workspace, 'small.spec.json');
  // The example's spec at a small size, with one sweep point so the sweep checks run too.
  writeFileSync(
    specPath,
    JSON.stringify({
      version: 1,
      kernel: 'vector_add',
      sizes: { n: N },
      sweep: [{ n: 1000 }],
      args: [
        { name: 'a', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'uniform', low: -1, high: 1 } },
        { name: 'b', role: 'input', dtype: 'float32', shape: ['n'], init: { kind: 'normal', mean: 0, std: 1 } },
        { name: 'c', role: 'output', dtype: 'float32', shape: ['n'] },
        { name: 'n', role: 'scalar', dtype: 'int32', value: 'n' },
      ],
      launch: { grid: ['(n + 255) / 256'], block: ['256'] },
      roofline: { bytes: '12 * n', flops: 'n' },
    }),
  );
  const target = new FakeGpuTarget(N, fake);
  const common = { file: baselineFile, kernel: 'vector_add', specPath, workspace, target, ceilingsPath: join(workspace, 'ceilings.json'), buildCacheDir: join(workspace, 'builds'), seeds: [11, 12, 13], timeSeed: 99, pairs: 80 };
  return { workspace, target, common };
}

/** A copy of fast_float4.cu under a name the stand-in GPU gives a behaviour. */
function named(workspace: string, name: string): string {
  const file = join(workspace, name);
  writeFileSync(file, readFileSync(join(dir, 'candidates', 'fast_float4.cu')));
  return file;
}

async function compare(candidate: string) {
  const { common, target, workspace } = setup();
  const file = candidate.includes('/') ? candidate : join(dir, 'candidates', candidate);
  const results = (await compareCandidates({ ...common, candidates: [{ file }] })) as CandidateResult[];
  assert.equal(results.length, 1);
  return { result: results[0], target, workspace };
}

function evaluateRuns(target: FakeGpuTarget): string[][] {
  return target.runs.filter((r) => r[0] === 'evaluate');
}

test('an honest faster candidate is accepted with its speedup; every timed launch was verified; the record re-derives', async () => {
  const { result, target } = await compare('fast_float4.cu');
  const gate = result.summary.gate;
  assert.ok(gate, 'a gate result');
  assert.equal(gate.accepted, true, gate.reasons.join('; '));
  assert.equal(gate.status, 'faster');
  assert.equal(gate.showSpeedup, true);
  assert.ok(gate.speedup && Math.abs(gate.speedup - 1.6) < 0.05, `speedup ${gate.speedup}`);
  assert.match(gate.headline, /^1\.6\d× faster/);
  assert.deepEqual(gate.failedProbes, []);
  // One runtime process for the candidate, checks and timing together; the baseline was prepared once.
  assert.deepEqual(target.runs.map((r) => r[0]), ['ceilings', 'baseline', 'evaluate']);
  assert.deepEqual(evaluateRuns(target)[0].slice(evaluateRuns(target)[0].indexOf('--seeds'), evaluateRuns(target)[0].indexOf('--seeds') + 4), ['--seeds', '11,12,13', '--sweep', 'n=1000']);
  assert.equal(result.record.timings.order, 'interleaved');
  assert.equal(result.record.timings.method, 'cupti-activity');
  assert.equal(result.record.timings.baselineMs.length, 80);
  assert.equal(result.record.timings.candidateMs?.length, 80);
  const probes = Object.fromEntries((result.summary.verification?.probes ?? []).map((p) => [p.name, p]));
  assert.equal(probes.timed?.passed, true);
  assert.match(probes.timed?.reason ?? '', /^all 80 timed launches \(and 10 warm-up launches\) matched the reference/);
  assert.equal(probes.seeds?.passed, true);
  assert.equal(probes.deterministic?.passed, true);
  assert.equal(probes['not-trivial']?.passed, true);
  // Kernel time, launch overhead and wall time are all there; the roofline for both sides.
  assert.equal(result.summary.method, 'cupti-activity');
  assert.ok(result.summary.candidateLaunch && result.summary.candidateWall && result.summary.baselineLaunch);
  assert.ok(result.summary.baselineRoofline && result.summary.candidateRoofline);
  assert.equal(result.record.ceilings?.source, 'measured');
  assert.equal(result.summary.trust?.keepsDeviceState, false);
  // The record on disk proves the numbers and the probes.
  const stored = await readRunRecord(result.runDir);
  assert.equal(stored.version, 2);
  assert.deepEqual(checkRederivation(stored).differences, []);
});

for (const [candidate, probe] of [
  ['wrong_offbyone.cu', 'match'],
  ['partial_half.cu', 'written'],
  ['mutate_input.cu', 'inputs-unchanged'],
  ['zeros_output.cu', 'match'],
] as const) {
  test(`${candidate} is rejected by the '${probe}' probe at its first check and never timed`, async () => {
    const { result, target } = await compare(candidate);
    const gate = result.summary.gate;
    assert.ok(gate);
    assert.equal(gate.accepted, false);
    assert.equal(gate.status, 'rejected');
    assert.equal(gate.showSpeedup, false);
    assert.ok(gate.failedProbes.includes(probe), `failed: ${gate.failedProbes.join(', ')}`);
    assert.match(gate.headline, new RegExp(`^rejected: .*${probe}`));
    // Fail-fast: the runtime stopped after the first check; nothing was timed; nothing is shown as its figure.
    assert.equal(result.record.evidence?.candidate?.checks.length, 1);
    assert.equal(result.record.evidence?.candidate?.timing, undefined);
    assert.equal(result.record.timings.order, 'baseline-only');
    assert.equal(result.summary.candidate, undefined, 'a rejected candidate has no timing');
    assert.equal(result.summary.comparison, undefined);
    assert.equal(gate.speedup, undefined);
    assert.equal(gate.speedupCI, undefined);
    assert.equal(result.summary.verification?.probes.find((p) => p.name === 'seeds')?.skipped, true, 'seeds not reached are skipped, not failed');
    assert.equal(evaluateRuns(target).length, 1);
    assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
  });
}

test("a candidate right in every check but wrong on a timed launch is rejected by the 'timed' probe; timing stops there", async () => {
  const { workspace } = setup();
  const { result } = await compare(named(workspace, 'stale_timed.cu'));
  const gate = result.summary.gate;
  assert.equal(gate?.accepted, false);
  assert.deepEqual(gate?.failedProbes, ['timed']);
  assert.equal(gate?.speedup, undefined);
  assert.match(result.summary.verification?.probes.find((p) => p.name === 'timed')?.reason ?? '', /^in timed pair 2 \(seed \d+\): .*unwritten/);
  assert.equal(result.summary.verification?.probes.find((p) => p.name === 'match')?.passed, true, 'the checks alone would have passed it');
  assert.equal(result.record.evidence?.candidate?.timing?.pairs, 3, 'no pair timed after the failing one');
  assert.equal(result.summary.candidate, undefined);
  assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
});

for (const [name, where] of [
  ['crash_sweep.cu', /^the candidate failed: .*illegal memory access.*\(while checking the candidate \(seed 11, n=1000\)\)/],
  ['crash_timed.cu', /^the candidate failed: .*illegal memory access.*\(while timed pair 0\)/],
] as const) {
  test(`a candidate that faults on the GPU (${name}) is rejected by the 'runs' probe, not reported as an error`, async () => {
    const { workspace } = setup();
    const { result } = await compare(named(workspace, name));
    const gate = result.summary.gate;
    assert.equal(gate?.accepted, false);
    assert.deepEqual(gate?.failedProbes, ['runs']);
    assert.match(result.summary.verification?.probes.find((p) => p.name === 'runs')?.reason ?? '', where);
    assert.equal(result.summary.candidate, undefined, 'no candidate timing is shown');
    assert.equal(result.record.timings.order, 'baseline-only');
    assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
  });
}

test("a candidate that does not compile is rejected by the 'builds' probe and never reaches the GPU", async () => {
  const { workspace } = setup();
  const { result, target } = await compare(named(workspace, 'no_compile.cu'));
  assert.deepEqual(result.summary.gate?.failedProbes, ['builds']);
  assert.match(result.summary.verification?.probes[0].reason ?? '', /^the candidate does not compile: .*undefined_thing/);
  assert.equal(evaluateRuns(target).length, 0);
  assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
});

test('a candidate that keeps device state is allowed while every timed launch stays right, and the trust report says so', async () => {
  const { workspace } = setup();
  const { result } = await compare(named(workspace, 'stateful.cu'));
  assert.equal(result.summary.gate?.accepted, true);
  assert.equal(result.summary.trust?.keepsDeviceState, true);
  assert.match(result.summary.trust?.notes[0] ?? '', /^keeps device state across launches: 'launches' \(8 B, changed during checks and timing\)/);
});

test('a candidate may bring its own launch: built with it, recorded, and checked against the spec', async () => {
  const { common } = setup();
  const file = join(dir, 'candidates', 'fast_float4.cu');
  const launch = { grid: ['cdiv(n, 1024)'], block: ['256'] };
  const [result] = (await compareCandidates({ ...common, candidates: [{ file, launch, launchOrigin: 'test' }] })) as CandidateResult[];
  assert.equal(result.summary.gate?.accepted, true, result.summary.gate?.reasons.join('; '));
  assert.deepEqual(result.record.candidateLaunch, launch);
  const [baseline, candidate] = result.builds;
  const gridLine = (shim: string) => /kp_p->grid\[0\] = (.*);/.exec(readFileSync(shim, 'utf8'))?.[1];
  assert.equal(gridLine(candidate.harnessFile), '(((n)+(1024LL)-1)/(1024LL))', 'the candidate launches its own grid');
  assert.equal(gridLine(baseline.harnessFile), '((n + 255LL) / 256LL)', "the baseline keeps the spec's grid");
  // A launch naming a size the spec does not have, or a block over 1024 threads, is refused before anything runs.
  for (const bad of [{ grid: ['cdiv(m, 4)'], block: ['256'] }, { grid: ['1'], block: ['2048'] }]) {
    await assert.rejects(compareCandidates({ ...common, candidates: [{ file, launch: bad, launchOrigin: 'bad.launch.json' }] }), (error: Error) => {
      assert.equal(error.name, 'JobError');
      assert.match(error.message, /the candidate's launch \(bad\.launch\.json\) cannot be used with the spec of vector_add:\n {2}\/launch\//);
      return true;
    });
  }
});

test('compare CLI: several candidates share one baseline; JSON carries only measured figures; exit 0 all accepted, 3 any rejected', async () => {
  const { common, target } = setup();
  const flags = { kernel: 'vector_add', spec: common.specPath, dryRun: false, json: true, workspace: common.workspace, pairs: '30' };
  const options = { target: common.target, progress: () => undefined, ceilingsPath: common.ceilingsPath, buildCacheDir: common.buildCacheDir };
  const good = await compareCommand([baselineFile], { ...flags, candidates: [{ file: join(dir, 'candidates/fast_float4.cu'), launch: join(dir, 'candidates/fast_float4.launch.json') }] }, options);
  assert.equal(good.exitCode, 0);
  const g = JSON.parse(good.output) as Record<string, unknown> & { probes: Array<{ passed: boolean }>; seconds: { total: number } };
  assert.equal(g.verdict, 'faster');
  assert.equal(g.accepted, true);
  assert.ok((g.speedup as number) > 1.5);
  assert.ok(g.speedupCI);
  assert.equal(g.timingMethod, 'cupti-activity');
  for (const key of ['candidateMedianMs', 'candidateLaunchOverheadMs', 'candidateWallMs', 'candidateBytesPerSecond', 'launchOverheadMs', 'wallMs']) assert.equal(typeof g[key], 'number', key);
  assert.ok(g.probes.every((p) => p.passed));
  assert.ok(g.seconds.total >= 0);

  target.runs.length = 0;
  const mixed = await compareCommand([baselineFile], { ...flags, candidates: [{ file: join(dir, 'candidates/fast_float4.cu') }, { file: join(dir, 'candidates/zeros_output.cu') }] }, options);
  assert.equal(mixed.exitCode, 3);
  const [fast, zeros] = JSON.parse(mixed.output) as Array<Record<string, unknown>>;
  assert.equal(fast.accepted, true);
  assert.equal(zeros.accepted, false);
  assert.equal(zeros.verdict, 'rejected');
  for (const key of ['speedup', 'speedupCI', 'candidateMedianMs', 'candidateLaunchOverheadMs', 'candidateWallMs', 'candidateBytesPerSecond', 'candidateFractionOfPeak']) {
    assert.ok(!(key in zeros), `a rejected candidate's JSON has no '${key}'`);
  }
  assert.equal(target.runs.filter((r) => r[0] === 'baseline').length, 1, 'the baseline was prepared once for both');

  const text = await compareCommand([baselineFile], { ...flags, json: false, candidates: [{ file: join(dir, 'candidates/zeros_output.cu') }] }, options);
  assert.equal(text.exitCode, 3);
  assert.match(text.output, /verdict: rejected: match/);
  assert.match(text.output, /✗\s+match/);
});

test('bench on the stand-in GPU: kernel time, launch overhead, wall time, bandwidth, % of peak; ceilings cached', async () => {
  const { common, target } = setup();
  const first = (await benchKernel(common)) as JobResult;
  assert.equal(first.kind, 'bench');
  assert.ok(Math.abs(first.summary.baseline.median - 1.0) < 0.02);
  assert.equal(first.summary.method, 'cupti-activity');
  assert.ok(first.summary.baselineLaunch && first.summary.baselineWall);
  assert.ok(first.summary.baselineRoofline && first.summary.baselineRoofline.achievedBytesPerSecond > 0);
  assert.equal(first.record.evidence?.baseline?.checks.length, 4, 'three seeds and the sweep point');
  assert.deepEqual(first.warnings, []);
  assert.deepEqual(checkRederivation(await readRunRecord(first.runDir)).differences, []);
  const second = (await benchKernel(common)) as JobResult;
  assert.equal(second.record.ceilings?.source, 'cache');
  assert.equal(target.runs.filter((r) => r[0] === 'ceilings').length, 1);
});

test('the prepared evaluation: candidates compile in parallel, the GPU is taken in turns, each verdict arrives as events', async () => {
  const { common, target, workspace } = setup({ compileMs: 150 });
  const events: EvaluationEvent[] = [];
  const evaluation = await prepare({ ...common, pairs: 10, parallelBuilds: 4, onEvent: (e) => events.push(e) });
  try {
    const files = ['fast_float4.cu', 'zeros_output.cu', 'wrong_offbyone.cu'].map((f) => join(dir, 'candidates', f)).concat(named(workspace, 'stateful.cu'));
    const results = await Promise.all(files.map((file) => evaluation.evaluate({ file })));
    assert.deepEqual(results.map((r) => r.summary.gate?.accepted), [true, false, false, true]);
    assert.ok(target.maxConcurrentCompiles >= 3, `${target.maxConcurrentCompiles} compiles at once`);
    const spans = [...target.gpuSpans].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], `GPU processes ${i - 1} and ${i} overlap`);
    for (const file of files) {
      const mine = events.filter((e) => 'candidate' in e && e.candidate === file);
      assert.ok(mine.some((e) => e.type === 'probe'), `${file}: probe events`);
      assert.equal(mine.filter((e) => e.type === 'verdict').length, 1, `${file}: one verdict`);
    }
    // Candidate processes were given a sandbox: builds without the GPU, runs with it, both writing only scratch.
    const evaluateSandbox = target.sandboxes.find((s) => s.mode === 'evaluate')?.sandbox;
    assert.equal(evaluateSandbox?.gpu, true);
    assert.ok(evaluateSandbox?.writable.length === 1 && /\/scratch\/eval-\d+-/.test(evaluateSandbox.writable[0]), `the evaluation's private scratch: ${evaluateSandbox?.writable}`);
    assert.ok(target.sandboxes.filter((s) => s.file === 'nvcc' && s.sandbox).every((s) => s.sandbox?.gpu === false));
  } finally {
    await evaluation.close();
  }
});

test('two jobs at once: one waits for the GPU (and says so) while its builds proceed', async () => {
  const { common, target } = setup();
  const waits: EvaluationEvent[] = [];
  const [a, b] = await Promise.all([
    compareCandidates({ ...common, pairs: 10, candidates: [{ file: join(dir, 'candidates/fast_float4.cu') }], onEvent: (e) => e.type === 'waiting-for-gpu' && waits.push(e) }),
    compareCandidates({ ...common, pairs: 10, candidates: [{ file: join(dir, 'candidates/zeros_output.cu') }], onEvent: (e) => e.type === 'waiting-for-gpu' && waits.push(e) }),
  ]);
  assert.equal((a as CandidateResult[])[0].summary.gate?.accepted, true);
  assert.equal((b as CandidateResult[])[0].summary.gate?.accepted, false);
  assert.ok(waits.length >= 1, 'a wait was reported');
  const spans = [...target.gpuSpans].sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], 'GPU work never overlaps');
});

test('cancelling mid-evaluation stops the GPU process and leaves nothing running', async () => {
  const { common, target, workspace } = setup();
  const evaluation = await prepare({ ...common, pairs: 10 });
  const abort = new AbortController();
  const running = evaluation.evaluate({ file: named(workspace, 'hang.cu') }, { signal: abort.signal });
  while (target.running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  abort.abort();
  await assert.rejects(running, (error: Error) => {
    assert.equal(error.name, 'JobError');
    assert.match(error.message, /cancelled/);
    return true;
  });
  assert.equal(target.running, 0, 'no process left');
  // The evaluation is still usable, and close() cancels what is left.
  const next = await evaluation.evaluate({ file: join(dir, 'candidates/fast_float4.cu') });
  assert.equal(next.summary.gate?.accepted, true);
  const hanging = evaluation.evaluate({ file: named(workspace, 'hang.cu') });
  while (target.running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await evaluation.close();
  await assert.rejects(hanging);
  assert.equal(target.running, 0);
});
