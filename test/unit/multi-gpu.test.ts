// Several GPUs of one target evaluate candidates side by side (bench/evaluation.ts's GPU pool), on the stand-in GPU
// machine with two GPUs: each candidate's runtime process is shown one GPU alone (CUDA_VISIBLE_DEVICES), two run at
// the same time on different GPUs, each candidate is timed against the baseline inside its own process (so on its
// GPU), its record names that GPU, and an optimize run's attempts from both GPUs make one run whose report
// re-derives every figure from the gate records.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareCandidates, type CandidateResult } from '../../server/src/bench/job';
import { gateRecordsOf } from '../../server/src/bench/optimize-gate';
import { optimizeCommand } from '../../server/src/cli/optimize';
import { prepareFromFlags } from '../../server/src/cli/optimize-gate';
import type { RunReport } from '../../server/src/optimize/report';
import { checkRederivation, readRunRecord } from '../../server/src/runs/record';
import { EXAMPLES, tempDir } from './harness-helpers';
import { FakeGpuTarget } from './job-fake-gpu';

const VA = join(EXAMPLES, 'vector_add');
const EVALUATE_MS = 400;

function setup(gpus: number) {
  const workspace = tempDir('multi-gpu');
  const spec = join(workspace, 'small.spec.json');
  writeFileSync(spec, JSON.stringify({ ...JSON.parse(readFileSync(join(VA, 'vector_add.spec.json'), 'utf8')), sizes: { n: 1024 }, sweep: undefined }));
  const target = new FakeGpuTarget(1024, { gpus, evaluateMs: EVALUATE_MS });
  const options = { target, ceilingsPath: join(workspace, 'ceilings.json'), buildCacheDir: join(workspace, 'builds') };
  return { workspace, spec, target, options };
}

const overlaps = (a: [number, number], b: [number, number]) => a[0] < b[1] && b[0] < a[1];

async function compareTwo(gpus: number) {
  const { workspace, spec, target, options } = setup(gpus);
  const fast = join(VA, 'candidates', 'fast_float4.cu');
  const results = (await compareCandidates({ file: join(VA, 'vector_add.cu'), kernel: 'vector_add', specPath: spec, workspace, ...options, seeds: [1, 2, 3], timeSeed: 5, pairs: 40, candidates: [{ file: fast }, { file: fast }] })) as CandidateResult[];
  return { results, runs: target.gpuRuns };
}

test('two GPUs: two candidates run at once, each on its own GPU against the baseline there; each record names its GPU', { timeout: 120_000 }, async () => {
  const { results, runs } = await compareTwo(2);
  const evaluations = runs.filter((r) => r.mode === 'evaluate');
  assert.deepEqual(evaluations.map((r) => r.visible).sort(), ['0', '1'], 'one candidate process per GPU, each shown only its GPU');
  assert.ok(overlaps(evaluations[0].span, evaluations[1].span), `the two GPUs worked side by side: ${JSON.stringify(evaluations.map((r) => r.span))}`);
  assert.ok(runs.filter((r) => r.mode === 'ceilings').some((r) => r.visible === '1'), 'the second GPU measured its own ceilings');
  assert.equal(runs.find((r) => r.mode === 'baseline')?.visible, '0', 'the baseline alone on the first GPU');
  assert.deepEqual(results.map((r) => r.summary.gate?.accepted), [true, true]);
  assert.deepEqual(results.map((r) => r.record.gpu.index).sort(), [0, 1]);
  for (const result of results) {
    const record = await readRunRecord(result.runDir);
    assert.deepEqual(checkRederivation(record).differences, [], `${result.runDir} re-derives`);
    // Baseline and candidate samples of one record come from one process: the same GPU.
    assert.equal(record.timings.order, 'interleaved');
  }
});

test('one GPU: the same two candidates take turns', { timeout: 120_000 }, async () => {
  const { runs } = await compareTwo(1);
  const evaluations = runs.filter((r) => r.mode === 'evaluate');
  assert.deepEqual(evaluations.map((r) => r.visible), ['0', '0']);
  assert.ok(!overlaps(evaluations[0].span, evaluations[1].span), 'one GPU: never two candidates at once');
});

test('optimize on two GPUs: the round\'s candidates spread over both; one run, every figure re-derived from its gate records', { timeout: 180_000 }, async () => {
  const { workspace, spec, target, options } = setup(2);
  let progress = '';
  const { output, exitCode } = await optimizeCommand([join(VA, 'vector_add.cu'), '--spec', spec, '--workspace', workspace, '--rounds', '1', '--candidates', '4', '--no-model', '--json'], {
    env: {},
    progress: { write: (text: string) => void (progress += text), isTTY: false },
    prepare: (request) => prepareFromFlags(request, options),
    gateRecords: gateRecordsOf,
  });
  assert.equal(exitCode, 0, progress);
  const report = JSON.parse(output) as RunReport;
  assert.deepEqual(report.mismatches, []);
  const evaluated = report.gateRecords.rederived;
  assert.ok(evaluated >= 2, `${evaluated} candidates evaluated`);
  const visible = new Set(target.gpuRuns.filter((r) => r.mode === 'evaluate').map((r) => r.visible));
  assert.deepEqual([...visible].sort(), ['0', '1'], 'candidates ran on both GPUs');
  const gpus = new Set<number>();
  for (const attempt of report.attempts) {
    const evidence = (JSON.parse(readFileSync(join(workspace, '.kernelpilot', 'runs', report.id, 'attempts', attempt.id, 'attempt.json'), 'utf8')) as { outcome?: { evidence?: string } }).outcome?.evidence;
    const index = evidence ? (await readRunRecord(evidence)).gpu.index : undefined;
    if (index !== undefined) gpus.add(index);
  }
  assert.deepEqual([...gpus].sort(), [0, 1], 'the run\'s gate records name both GPUs');
});
