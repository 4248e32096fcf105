// The whole compare path (spec → build → checks → probes → interleaved timing → roofline → gate → record) on a
// fake GPU target (job-fake-gpu.ts): every cheating vector_add candidate is rejected with the right probe named,
// the honest fast one is accepted with its speedup, and the record re-derives and re-verifies what was shown.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { benchKernel, compareCandidate, type JobResult } from '../../server/src/bench/job';
import { compareCommand } from '../../server/src/cli/bench';
import { checkRederivation, readRunRecord } from '../../server/src/runs/record';
import { reverify } from '../../server/src/runs/reverify';
import { FakeGpuTarget } from './job-fake-gpu';
import { EXAMPLES, tempDir } from './harness-helpers';

const N = 4096;
const dir = join(EXAMPLES, 'vector_add');
const baselineFile = join(dir, 'vector_add.cu');

function setup() {
  const workspace = tempDir('job-compare');
  const specPath = join(workspace, 'small.spec.json');
  // The example's spec at a size whose dumps are tiny, with one sweep point so the sweep checks run too.
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
  const target = new FakeGpuTarget(N);
  const common = { file: baselineFile, kernel: 'vector_add', specPath, workspace, target, ceilingsPath: join(workspace, 'ceilings.json'), buildCacheDir: join(workspace, 'builds'), seeds: [11, 12, 13], timeSeed: 99, rounds: 4, iters: 20 };
  return { workspace, target, common };
}

async function compare(candidate: string) {
  const { common, target, workspace } = setup();
  const result = (await compareCandidate({ ...common, candidateFile: join(dir, 'candidates', candidate) })) as JobResult;
  assert.equal(result.kind, 'compare');
  return { result, target, workspace };
}

test('an honest faster candidate is accepted with its speedup; the record re-derives and re-verifies', async () => {
  const { result, target } = await compare('fast_float4.cu');
  const gate = result.summary.gate;
  assert.ok(gate, 'a gate result');
  assert.equal(gate.accepted, true, gate.reasons.join('; '));
  assert.equal(gate.status, 'faster');
  assert.equal(gate.showSpeedup, true);
  assert.ok(gate.speedup && Math.abs(gate.speedup - 1.6) < 0.05, `speedup ${gate.speedup}`);
  assert.match(gate.headline, /^1\.6\d× faster/);
  assert.deepEqual(gate.failedProbes, []);
  // Interleaved: 4 rounds × 20 launches per side, alternating binaries; the same seeds for both sides' checks.
  assert.equal(result.record.timings.order, 'interleaved');
  assert.equal(result.record.timings.baselineMs.length, 80);
  assert.equal(result.record.timings.candidateMs?.length, 80);
  const timeRuns = target.runs.filter((r) => r[1] === 'time').map((r) => r[0]);
  assert.equal(timeRuns.length, 8);
  for (let i = 0; i < timeRuns.length; i += 2) assert.notEqual(timeRuns[i], timeRuns[i + 1], 'each round times both binaries');
  const checkSeeds = (side: string) => result.record.checks?.[side === 'b' ? 'baseline' : 'candidate'].map((c) => c.report.seed);
  assert.deepEqual(checkSeeds('b'), [11, 12, 13]);
  assert.deepEqual(checkSeeds('c'), [11, 12, 13]);
  assert.equal(result.record.checks?.candidateRepeat?.report.seed, 11);
  assert.equal(result.summary.verification?.probes.find((p) => p.name === 'deterministic')?.passed, true);
  assert.equal(result.summary.verification?.probes.find((p) => p.name === 'not-trivial')?.passed, true);
  // Roofline for both sides from the measured ceilings.
  assert.ok(result.summary.baselineRoofline && result.summary.candidateRoofline);
  assert.equal(result.record.ceilings?.source, 'measured');
  // The record on disk proves the numbers, and its dumps re-run the probes.
  const stored = await readRunRecord(result.runDir);
  assert.deepEqual(checkRederivation(stored).differences, []);
  const again = await reverify(stored, result.runDir);
  assert.equal(again.verdict.accepted, true);
  assert.deepEqual(again.probes.map((p) => p.passed), stored.probes?.map((p) => p.passed));
});

for (const [candidate, probe] of [
  ['wrong_offbyone.cu', 'match'],
  ['partial_half.cu', 'written'],
  ['mutate_input.cu', 'inputs-unchanged'],
  ['zeros_output.cu', 'match'],
] as const) {
  test(`${candidate} is rejected by the '${probe}' probe, and its time is not measured`, async () => {
    const { result, target } = await compare(candidate);
    const gate = result.summary.gate;
    assert.ok(gate);
    assert.equal(gate.accepted, false);
    assert.equal(gate.status, 'rejected');
    assert.equal(gate.showSpeedup, false);
    assert.ok(gate.failedProbes.includes(probe), `failed: ${gate.failedProbes.join(', ')}`);
    assert.match(gate.headline, new RegExp(`^rejected: .*${probe}`));
    assert.equal(result.summary.candidate, undefined, 'a rejected candidate has no timing');
    assert.equal(target.runs.filter((r) => r[1] === 'time').length, 1, 'only the baseline is timed');
    assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
  });
}

test('a candidate that is right in the checks but skips work when timed is rejected by the \'timed\' probe', async () => {
  const { common, workspace } = setup();
  const candidateFile = join(workspace, 'stale_timed.cu');
  writeFileSync(candidateFile, readFileSync(join(dir, 'candidates', 'fast_float4.cu')));
  const result = (await compareCandidate({ ...common, candidateFile })) as JobResult;
  const gate = result.summary.gate;
  assert.equal(gate?.accepted, false);
  assert.deepEqual(gate?.failedProbes, ['timed']);
  assert.equal(gate?.showSpeedup, false);
  assert.match(result.summary.verification?.probes.find((p) => p.name === 'timed')?.reason ?? '', /^in the last timed launch: .*unwritten|^in the last timed launch: .*poison/);
  assert.equal(result.summary.verification?.probes.find((p) => p.name === 'match')?.passed, true, 'the checks alone would have passed it');
  assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
});

for (const [name, where] of [
  ['crash_sweep.cu', /^the candidate failed at n=1000: .*illegal memory access/],
  ['crash_timed.cu', /^the candidate failed while timed \(round 1\): .*illegal memory access/],
] as const) {
  test(`a candidate that faults on the GPU (${name}) is rejected by the 'runs' probe, not reported as an error`, async () => {
    const { common, workspace } = setup();
    const candidateFile = join(workspace, name);
    writeFileSync(candidateFile, readFileSync(join(dir, 'candidates', 'fast_float4.cu')));
    const result = (await compareCandidate({ ...common, candidateFile })) as JobResult;
    const gate = result.summary.gate;
    assert.equal(gate?.accepted, false);
    assert.deepEqual(gate?.failedProbes, ['runs']);
    assert.match(result.summary.verification?.probes.find((p) => p.name === 'runs')?.reason ?? '', where);
    assert.equal(result.summary.candidate, undefined, 'no candidate timing is shown');
    assert.equal(result.record.timings.order, 'baseline-only');
    assert.deepEqual(checkRederivation(await readRunRecord(result.runDir)).differences, []);
  });
}

test('a candidate may bring its own launch: built with it, recorded, and checked against the spec', async () => {
  const { common } = setup();
  const candidateFile = join(dir, 'candidates', 'fast_float4.cu');
  const launch = { grid: ['cdiv(n, 1024)'], block: ['256'] };
  const result = (await compareCandidate({ ...common, candidateFile, candidateLaunch: launch, candidateLaunchOrigin: 'test' })) as JobResult;
  assert.equal(result.summary.gate?.accepted, true, result.summary.gate?.reasons.join('; '));
  assert.deepEqual(result.record.candidateLaunch, launch);
  const [baseline, candidate] = result.builds;
  const gridLine = (file: string) => /kp_p\.grid\[0\] = (.*);/.exec(readFileSync(file, 'utf8'))?.[1];
  assert.equal(gridLine(candidate.harnessFile), '(((n)+(1024LL)-1)/(1024LL))', 'the candidate harness launches its own grid');
  assert.equal(gridLine(baseline.harnessFile), '((n + 255LL) / 256LL)', "the baseline keeps the spec's grid");
  // A launch naming a size the spec does not have, or a block over 1024 threads, is refused before anything runs.
  for (const bad of [{ grid: ['cdiv(m, 4)'], block: ['256'] }, { grid: ['1'], block: ['2048'] }]) {
    await assert.rejects(compareCandidate({ ...common, candidateFile, candidateLaunch: bad, candidateLaunchOrigin: 'bad.launch.json' }), (error: Error) => {
      assert.equal(error.name, 'JobError');
      assert.match(error.message, /the candidate's launch \(bad\.launch\.json\) cannot be used with the spec of vector_add:\n {2}\/launch\//);
      return true;
    });
  }
});

test('compare CLI: JSON with verdict and probes; exit 0 accepted, 3 rejected', async () => {
  const { common } = setup();
  const flags = { kernel: 'vector_add', spec: common.specPath, dryRun: false, json: true, workspace: common.workspace, rounds: '3', iters: '10' };
  const options = { target: common.target, progress: () => undefined, ceilingsPath: common.ceilingsPath, buildCacheDir: common.buildCacheDir };
  const good = await compareCommand([baselineFile], { ...flags, candidate: join(dir, 'candidates/fast_float4.cu') }, options);
  assert.equal(good.exitCode, 0);
  const g = JSON.parse(good.output) as { verdict: string; accepted: boolean; speedup: number; probes: Array<{ name: string; passed: boolean }>; record: string };
  assert.equal(g.verdict, 'faster');
  assert.equal(g.accepted, true);
  assert.ok(g.speedup > 1.5);
  assert.ok(g.probes.every((p) => p.passed));
  const bad = await compareCommand([baselineFile], { ...flags, json: false, candidate: join(dir, 'candidates/zeros_output.cu') }, options);
  assert.equal(bad.exitCode, 3);
  assert.match(bad.output, /verdict: rejected: match/);
  assert.match(bad.output, /✗\s+match/);
});

test('bench on the fake GPU: time, bandwidth, % of peak, ceilings cached for the next run', async () => {
  const { common, target } = setup();
  const first = (await benchKernel(common)) as JobResult;
  assert.equal(first.kind, 'bench');
  assert.ok(Math.abs(first.summary.baseline.median - 1.0) < 0.02);
  assert.ok(first.summary.baselineRoofline && first.summary.baselineRoofline.achievedBytesPerSecond > 0);
  assert.equal(first.record.checks?.baseline.length, 3);
  assert.deepEqual(first.warnings, []);
  const second = (await benchKernel(common)) as JobResult;
  assert.equal(second.record.ceilings?.source, 'cache');
  assert.equal(target.runs.filter((r) => r[1] === 'ceilings').length, 1);
});
