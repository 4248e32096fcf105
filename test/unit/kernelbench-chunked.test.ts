// The Python gate's slice-by-slice paths (comparison, digests, bit checks), for real on CPU torch: with the job's
// chunkElements lowered to 7 a 4×25 output takes 15 slices, so an honest ModelNew must still be accepted, one wrong
// element in the last slices still found (at its index), a half-written output still caught, and the events must
// equal a run in one slice. Also: each candidate's load_inline build folder is the private cache's folder named by
// its source's hash, writable from inside the sandbox and still there after the run; and a candidate whose check
// ran the gate itself out of GPU memory is reported as not judged, not as rejected.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tolerancesOf, type KernelBenchTaskRun } from '../../server/src/bench/kernelbench';
import { candidateRows } from '../../server/src/bench/kernelbench-format';
import { taskResult, type KernelBenchPlan } from '../../server/src/derive/kernelbench';
import type { KernelBenchJob } from '../../server/src/harness/python/protocol';
import { runKernelBench, type KernelBenchRun } from '../../server/src/harness/python/run';
import { POISON_BYTE } from '../../server/src/harness/poison';
import type { Tolerance } from '../../server/src/benchspec/model';
import { REPO, tempDir } from './harness-helpers';
import { TEST_PYTHON as python, torchMissing } from './kernelbench-task';
import { localTarget } from './local-target';
import { serviceReady } from './service-tests';

const FIXTURES = join(REPO, 'test/fixtures/kernelbench');
const RELU = join(FIXTURES, 'level1/19_ReLU.py');
const torchUnavailable = torchMissing();

const plan: KernelBenchPlan = { seeds: [101, 202, 303], tolerance: tolerancesOf('kernelbench') };
const dir = tempDir('kernelbench-chunked');
const cacheHome = tempDir('kernelbench-cache');
const savedCacheHome = process.env.XDG_CACHE_HOME;

/** One element off by 1, three from the end: beyond the first slices when a slice holds 7 elements. */
const oneWrong = join(dir, 'one_wrong.py');
/** Leaves a mark in its build folder (what load_inline would fill) from inside the sandbox. */
const marking = join(dir, 'marks_build_dir.py');

function job(chunkElements?: number): Omit<KernelBenchJob, 'task' | 'candidates'> {
  return {
    seeds: plan.seeds, initSeed: 42, timeSeed: 1000, sameSeedsEveryChild: true, warmup: 1, pairs: 3, baselineIters: 2,
    tolerance: plan.tolerance as Record<string, Tolerance>, poisonByte: POISON_BYTE.float32,
    sizes: { batch_size: 4, dim: 25 }, device: 'cpu', compile: false, l2FlushBytes: 0, candidateTimeoutS: 60,
    ...(chunkElements ? { chunkElements } : {}),
  };
}

const candidates = () => [join(FIXTURES, 'solutions/19_ReLU/honest.py'), oneWrong, join(FIXTURES, 'solutions/19_ReLU/partial.py'), marking];

async function run(chunkElements?: number): Promise<KernelBenchRun> {
  return runKernelBench(RELU, candidates(), job(chunkElements), { target: localTarget(), python, timeoutMs: 120_000, gpu: false });
}

let sliced: KernelBenchRun | undefined;
let whole: KernelBenchRun | undefined;

before(async () => {
  if (torchUnavailable) return;
  process.env.XDG_CACHE_HOME = cacheHome;
  writeFileSync(oneWrong, 'import torch\nimport torch.nn as nn\n\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        out = torch.relu(x)\n        out.view(-1)[out.numel() - 3] += 1.0\n        return out\n');
  writeFileSync(marking, [
    'import os', 'import torch', 'import torch.nn as nn', '', '',
    'class ModelNew(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        with open(os.path.join(os.environ["TORCH_EXTENSIONS_DIR"], "mark"), "w") as f:',
    '            f.write(os.environ.get("MAX_JOBS", ""))', '',
    '    def forward(self, x):',
    '        return torch.relu(x)', '',
  ].join('\n'));
  sliced = await run(7);
  whole = await run();
});

after(() => {
  if (savedCacheHome === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCacheHome;
});

function verdicts(r: KernelBenchRun) {
  return taskResult(RELU, r, plan).candidates;
}

test('in slices of 7 elements an honest ModelNew is accepted and timed, every timed call verified', { timeout: 240_000 }, (t) => {
  if (!serviceReady(t, torchUnavailable) || !sliced) return;
  const honest = verdicts(sliced)[0];
  assert.equal(honest.verdict.accepted, true, honest.verdict.summary);
  assert.match(honest.probes.find((p) => p.name === 'timed')?.reason ?? '', /all 3 timed launches/);
  assert.equal(sliced.candidates[0].repeat?.outputs[0].differing, 0);
});

test('in slices of 7 elements one wrong element is found at its index, and a half-written output is caught', { timeout: 240_000 }, (t) => {
  if (!serviceReady(t, torchUnavailable) || !sliced) return;
  const [, wrong, partial] = verdicts(sliced);
  assert.deepEqual(wrong.verdict.failed, ['match'], wrong.verdict.summary);
  assert.match(wrong.probes.find((p) => p.name === 'match')?.reason ?? '', /output\[3, 22\] = .*; 1 of 100 elements fail/);
  assert.deepEqual(partial.verdict.failed, ['match', 'written'], partial.verdict.summary);
  assert.match(partial.probes.find((p) => p.name === 'written')?.reason ?? '', /50 element\(s\) of 'output' still hold the harness's poison, first output\[2, 0\]/);
});

test('the checks in slices record what one slice records', { timeout: 240_000 }, (t) => {
  if (!serviceReady(t, torchUnavailable) || !sliced || !whole) return;
  const strip = (r: KernelBenchRun) => ({
    reference: r.reference.checks.map((c) => ({ inputs: c.inputs, outputs: c.outputs })),
    candidates: r.candidates.map((c) => ({ checks: c.checks.map((k) => ({ inputs: k.inputs, outputs: k.outputs })), repeat: c.repeat?.outputs, stopped: c.timing?.stoppedAt })),
  });
  assert.deepEqual(strip(sliced), strip(whole));
});

test("each candidate's build folder is the private cache's, named by its source hash, writable in the sandbox and kept", { timeout: 240_000 }, (t) => {
  if (!serviceReady(t, torchUnavailable) || !sliced) return;
  const hash = createHash('sha256').update(readFileSync(marking)).digest('hex').slice(0, 16);
  const folder = join(cacheHome, 'kernelpilot/torch-extensions', hash);
  assert.ok(existsSync(join(folder, 'mark')), `${folder}/mark written by the candidate`);
  assert.match(readFileSync(join(folder, 'mark'), 'utf8'), /^[1-9]\d*$/, 'MAX_JOBS set for ninja');
  assert.equal(statSync(join(cacheHome, 'kernelpilot/torch-extensions')).mode & 0o077, 0, 'the cache is private to the user');
  assert.equal(verdicts(sliced)[3].verdict.accepted, true);
});

test("the gate's own out-of-memory leaves a candidate not judged: not accepted, no probe failed, said so in the report", { timeout: 10_000 }, () => {
  const recorded = JSON.parse(readFileSync(join(FIXTURES, 'recorded-cpu.json'), 'utf8')) as { tasks: KernelBenchTaskRun[] };
  const task = recorded.tasks.find((t) => t.run?.candidates.some((c) => c.error === undefined && c.ended));
  assert.ok(task?.run);
  const message = 'the gate itself ran out of GPU memory while checking this candidate (CUDA out of memory); the candidate is not judged: scale the task down with --size';
  const candidate = { ...task.run.candidates[0], checks: [], ended: false, error: { kind: 'error' as const, stage: 'memory', message } };
  const result = taskResult(task.result.task, { ...task.run, candidates: [candidate] }, task.plan);
  const [judged] = result.candidates;
  assert.equal(judged.notJudged, message);
  assert.equal(judged.verdict.accepted, false);
  assert.deepEqual(judged.verdict.failed, []);
  assert.equal(result.best, undefined);
  const [row] = candidateRows({ ...task, result });
  assert.equal(row[2], 'not judged');
  assert.equal(row[3], message);
  // The candidate's own out-of-memory (its forward call) stays its failure.
  const own = taskResult(task.result.task, { ...task.run, candidates: [{ ...candidate, error: { ...candidate.error, stage: 'forward' } }] }, task.plan);
  assert.deepEqual(own.candidates[0].verdict.failed[0], 'runs');
  assert.equal(own.candidates[0].notJudged, undefined);
});
