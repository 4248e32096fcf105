// fast_p and the geometric mean over KernelBench results: on a recorded CPU run (test/fixtures/kernelbench/
// recorded-cpu.json, `kernelpilot kernelbench … --json`), re-derived from its events, and on small made-up task
// sets where the arithmetic is known: "more than p×" is strict, a task without an accepted candidate counts in the
// total, the fastest accepted candidate stands for its task, and a baseline never measured gives no figure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KernelBenchTaskRun } from '../../server/src/bench/kernelbench';
import { summarize } from '../../server/src/bench/kernelbench-format';
import { fastP, geometricMeanSpeedup, taskResult, type CandidateResult, type TaskResult } from '../../server/src/derive/kernelbench';
import { REPO } from './harness-helpers';

const recorded = JSON.parse(readFileSync(join(REPO, 'test/fixtures/kernelbench/recorded-cpu.json'), 'utf8')) as { tasks: KernelBenchTaskRun[]; summary: Record<string, unknown> };

test('the recorded run re-derives: every task result, fast_p and the geometric mean', { timeout: 10_000 }, () => {
  const results = recorded.tasks.map((t) => {
    assert.ok(t.run);
    const again = JSON.parse(JSON.stringify(taskResult(t.result.task, t.run, t.plan))) as TaskResult;
    assert.deepEqual(again, t.result);
    return again;
  });
  assert.deepEqual(JSON.parse(JSON.stringify({ eager: summarize(results, 'eager'), compiled: summarize(results, 'compiled') })), recorded.summary);
  const speedups = results.map((r) => r.candidates[r.best ?? -1]?.eager?.speedup ?? NaN);
  assert.ok(speedups.every((s) => s > 0), 'each task has an accepted, timed best candidate');
  const expected = Math.exp(speedups.reduce((a, s) => a + Math.log(s), 0) / speedups.length);
  assert.ok(Math.abs((geometricMeanSpeedup(results, 'eager')?.value ?? 0) - expected) < 1e-12);
  for (const p of [0, 1, 2]) assert.equal(fastP(results, p, 'eager')?.count, speedups.filter((s) => p === 0 || s > p).length);
});

test('against torch.compile the speedup goes through eager: compiled over eager from the baseline series, times the paired speedup, so drift between the series stays out', { timeout: 10_000 }, () => {
  const task = recorded.tasks.find((t) => t.run && t.result.best !== undefined);
  assert.ok(task?.run?.reference.baselines);
  const { baselines } = task.run.reference;
  // The baseline series ran on a host three times slower than the pairs, torch.compile twice as slow as eager there.
  const slower = (ms: number[]) => ms.map((x) => x * 3);
  const drifted = { ...baselines, eager: { ...baselines.eager, kernelMs: slower(baselines.eager.kernelMs) }, compiled: { ...baselines.eager, kernelMs: slower(baselines.eager.kernelMs).map((x) => x * 2) } };
  const result = taskResult(task.result.task, { ...task.run, reference: { ...task.run.reference, baselines: drifted } }, task.plan);
  const best = result.candidates[result.best ?? -1];
  assert.ok(best?.eager && best.compiled);
  assert.ok(Math.abs(best.compiled.compiledOverEager - 2) < 1e-12);
  assert.ok(Math.abs(best.compiled.speedup - 2 * best.eager.speedup) < 1e-12, `${best.compiled.speedup} vs 2 × ${best.eager.speedup}`);
});

function accepted(eager: number, compiled?: number): CandidateResult {
  return {
    file: 'c.py',
    probes: [],
    verdict: { accepted: true, weakSpec: false, failed: [], summary: 'accepted' },
    eager: { speedup: eager } as CandidateResult['eager'],
    ...(compiled !== undefined ? { compiled: { speedup: compiled, baselineMedianMs: 1, candidateMedianMs: 1 / compiled, compiledOverEager: compiled / eager } } : {}),
  };
}

const rejected: CandidateResult = { file: 'r.py', probes: [], verdict: { accepted: false, weakSpec: false, failed: ['match'], summary: 'rejected' } };

function task(name: string, candidates: CandidateResult[], best?: number): TaskResult {
  return { task: name, candidates, ...(best !== undefined ? { best } : {}) };
}

test('fast_p: strict "more than p", unsolved tasks in the total, one figure per task', { timeout: 10_000 }, () => {
  const tasks = [
    task('a', [accepted(2, 1.5)], 0), // exactly 2x eager: fast_1 yes, fast_2 no
    task('b', [accepted(1, 0.5)], 0), // exactly 1x: fast_0 only
    task('c', [rejected]), // wrong: counts in the total only
    task('d', []), // no candidate
    task('e', [accepted(4, 3), accepted(8, 6)], 1), // the best stands for the task
  ];
  assert.deepEqual([0, 1, 2].map((p) => fastP(tasks, p, 'eager')), [
    { p: 0, count: 3, total: 5, fraction: 0.6 },
    { p: 1, count: 2, total: 5, fraction: 0.4 },
    { p: 2, count: 1, total: 5, fraction: 0.2 },
  ]);
  assert.deepEqual([1, 2].map((p) => fastP(tasks, p, 'compiled')?.count), [2, 1]);
  const mean = geometricMeanSpeedup(tasks, 'eager');
  assert.equal(mean?.tasks, 3);
  assert.ok(Math.abs((mean?.value ?? 0) - Math.cbrt(2 * 1 * 8)) < 1e-12);
  assert.deepEqual(fastP([], 1, 'eager'), { p: 1, count: 0, total: 0, fraction: 0 });
  assert.equal(geometricMeanSpeedup([task('c', [rejected])], 'eager'), null);
});

test('a baseline that was not measured gives no fast_p at all, not a share over the rest', { timeout: 10_000 }, () => {
  const tasks = [task('a', [accepted(3)], 0), { ...task('b', [accepted(2, 1.1)], 0) }];
  for (const p of [0, 1, 2]) assert.equal(fastP(tasks, p, 'compiled'), null);
  assert.equal(fastP(tasks, 2, 'eager')?.count, 1);
});

test('a task\'s candidates: one not run is not judged (never accepted), one checked but not timed has no speedup, and of two equally fast the first stands for the task', { timeout: 10_000 }, () => {
  const task = recorded.tasks.find((t) => t.run && t.result.best !== undefined);
  assert.ok(task?.run);
  const run = task.run;
  const best = run.candidates[task.result.best ?? 0];
  const untimed = structuredClone(best);
  assert.ok(untimed.timing?.candidate);
  untimed.timing.candidate.kernelMs = [];
  const notRun = { ...best, notRun: 'not run: the gate\'s process ended before its turn' };
  const result = taskResult(task.result.task, { ...run, candidates: [best, best, untimed, notRun] }, task.plan);
  assert.equal(result.best, 0, 'a tie goes to the first');
  assert.ok(result.candidates[0].eager && result.candidates[1].eager);
  assert.equal(result.candidates[2].verdict.accepted, true);
  assert.equal(result.candidates[2].eager, undefined, 'no timed call, no speedup');
  assert.equal(result.candidates[3].notJudged, 'not run: the gate\'s process ended before its turn');
  assert.equal(result.candidates[3].verdict.accepted, false);
  assert.match(result.candidates[3].verdict.summary, /^not judged: not run/);
  assert.equal(result.candidates[3].verdict.weakSpec, false);
});

test('what a task result holds besides its candidates: the faster of two stands for it, medians and why torch.compile is missing, a reference that failed, no field for what is not there', { timeout: 10_000 }, () => {
  const task = recorded.tasks.find((t) => t.run && t.result.best !== undefined);
  assert.ok(task?.run?.reference.baselines);
  const { run } = task;
  const first = run.candidates[task.result.best ?? 0];
  const slower = structuredClone(first);
  assert.ok(slower.timing?.candidate);
  slower.timing.candidate.kernelMs = slower.timing.candidate.kernelMs.map((x) => x * 4);
  const { seconds: _seconds, ...unclocked } = first;
  const result = taskResult(task.result.task, { ...run, candidates: [slower, unclocked] }, task.plan);
  assert.equal(result.best, 1, 'the faster one, though listed second');
  assert.ok(!('seconds' in result.candidates[1]), 'no seconds recorded, no seconds field');
  const baselines = run.reference.baselines;
  assert.ok(baselines);
  const withCompile = taskResult(task.result.task, { ...run, reference: { ...run.reference, baselines: { ...baselines, compiled: { ...baselines.eager, kernelMs: baselines.eager.kernelMs.map((x) => x * 2) } } } }, task.plan);
  assert.ok(Math.abs((withCompile.compiledMedianMs ?? 0) - 2 * (withCompile.eagerMedianMs ?? 0)) < 1e-12, 'the compiled median, twice the eager one');
  assert.equal(withCompile.compileUnavailable, undefined);
  const { baselines: _baselines, ...noBaselines } = run.reference;
  const untimedTask = taskResult(task.result.task, { ...run, reference: noBaselines, candidates: [] }, task.plan);
  assert.equal(untimedTask.compileUnavailable, 'no baseline timing was recorded');
  assert.ok(!('best' in untimedTask) && !('eagerMedianMs' in untimedTask), 'no candidate, no best; no baselines, no median');
  const failed = taskResult(task.result.task, { ...run, reference: { ...run.reference, error: { kind: 'error', stage: 'task', message: 'get_inputs() raised ValueError' } } }, task.plan);
  assert.deepEqual(failed, { task: task.result.task, error: 'task: get_inputs() raised ValueError', candidates: [] });
});
