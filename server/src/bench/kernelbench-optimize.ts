// A KernelBench task as the optimize loop's problem: the task file is the baseline and stays the reference (its Model,
// eager PyTorch, is what a candidate must beat); each candidate is a whole ModelNew file, gated against Model by the
// KernelBench gate (bench/kernelbench.ts) on the target and recorded as a Python gate run (runs/triton-record.ts), so
// the optimize report re-derives it like a Triton attempt. There is no built-in search: a task has no kernel of its
// own to tune, so candidates come from the model alone.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inferKernelBench } from '../benchspec/kernelbench';
import type { BaselineFacts, CandidateEvaluator, PreparedOptimization } from '../optimize/evaluator';
import { sha256File, sha256Text } from '../runs/hash';
import { writeTritonRecord, type TritonRecord } from '../runs/triton-record';
import type { Target } from '../targets/target';
import { createScratch } from '../targets/scratch';
import { JobError } from './job-prepare';
import { defaultKernelBenchOptions, evaluateTask, readTaskFile, tolerancesOf, type KernelBenchOptions } from './kernelbench';
import { batchedEvaluate, withRetried, type BatchRunner } from './gate-batch';
import { candidateRecord } from './triton';
import { tritonOutcomeOf } from './triton-optimize';
import { discover } from '../kernels/discover';

export interface KernelBenchOptimizeOptions {
  file: string;
  workspace: string;
  target: Target;
  python?: string;
  device?: KernelBenchOptions['device'];
  /** Interleaved timed pairs per candidate (default 30). */
  pairs?: number;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
}

export async function prepareKernelBenchOptimization(o: KernelBenchOptimizeOptions): Promise<PreparedOptimization> {
  await readTaskFile(o.file);
  const text = await readFile(o.file, 'utf8');
  const kernel = (await discover(o.file, text)).kernels.find((k) => k.language === 'kernelbench' && k.name === 'Model');
  if (!kernel) throw new JobError('input', `${o.file}: no KernelBench Model class`);
  const options: KernelBenchOptions = {
    ...defaultKernelBenchOptions(o.target),
    ...(o.python ? { python: o.python } : {}),
    ...(o.device ? { device: o.device } : {}),
    ...(o.pairs ? { pairs: o.pairs, baselineIters: o.pairs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { progress: o.onProgress } : {}),
  };
  // The prompts show the tolerance the gate applies.
  const spec = { ...inferKernelBench(kernel, text, o.file).spec, tolerance: tolerancesOf(options.tolerance) };
  o.onProgress?.(`baseline: Model of ${o.file} in eager PyTorch on target '${o.target.name}'`);
  const base = await evaluateTask(o.file, [], {}, options);
  const eagerMs = base.result.eagerMedianMs;
  if (base.result.error) throw new JobError('run', `the KernelBench gate could not run ${o.file}: ${base.result.error}`);
  if (eagerMs === undefined) throw new JobError('run', `the eager baseline of ${o.file} was not timed: nothing to optimize against`);
  const device = base.run?.reference.start?.device;
  const baseline: BaselineFacts = { timeMs: eagerMs, gpu: { name: device?.name ?? 'unknown', ...(device?.computeCapability ? { computeCapability: device.computeCapability } : {}) } };
  const taskSha = await sha256File(o.file);
  const scratch = await createScratch('kernelbench-candidates');
  // The candidates that arrive together share one gate process (gate-batch.ts); each is recorded on its own.
  const evaluateBatch: BatchRunner = async (requests, signal) => {
    const files = requests.map((r) => join(scratch.dir, `${r.id}.py`));
    await Promise.all(requests.map((r, i) => writeFile(files[i], r.source)));
    // The baselines were timed once above; each candidate is timed in pairs against eager Model, which is its speedup.
    const { result, run, plan } = await evaluateTask(o.file, files, {}, { ...options, baselineIters: 0, compile: false, signal });
    const ids = requests.map((r) => r.id).join(', ');
    if (result.error || !run || result.candidates.length !== requests.length) throw new JobError('run', `the KernelBench gate gave no verdict for attempt(s) ${ids}${result.error ? `: ${result.error}` : ''}`);
    const record: Omit<TritonRecord, 'id' | 'createdAt'> = {
      version: 1,
      kind: 'kernelbench-compare',
      kernel: kernel.qualifiedName,
      sources: [{ role: 'baseline', path: o.file, sha256: taskSha }, ...requests.map((r, i) => ({ role: 'candidate' as const, path: files[i], sha256: sha256Text(r.source) }))],
      spec,
      plan,
      target: { name: o.target.name, host: o.target.host },
      generated: { task: text, candidates: requests.map((r) => ({ launchOrigin: `attempt ${r.id}`, source: r.source })) },
      run,
    };
    const outcomes = await Promise.all(result.candidates.map(async (candidate, i) => (run.candidates[i]?.notRun ? undefined : tritonOutcomeOf(candidate, await writeTritonRecord(o.workspace, candidateRecord(record, i))))));
    return withRetried(requests, outcomes, signal, evaluateBatch);
  };
  const evaluator: CandidateEvaluator = { baseline, evaluate: batchedEvaluate(evaluateBatch) };
  return { problem: { file: o.file, source: text, kernel, spec, baseline }, evaluator, close: () => scratch.remove() };
}
