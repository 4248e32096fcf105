// The KernelBench job: each task file is its own spec (Model, get_inputs, get_init_inputs); its candidates are the
// ModelNew files found by the naming convention below; each task runs as one Python gate process on the target
// (harness/python/), one task at a time (the GPU is the target's), and its results derive through derive/kernelbench.ts.
//
// Solutions for task DIR/…/NAME.py, looked up in the solutions folder S:
//   S/NAME.py            one candidate
//   S/NAME/*.py          several (in name order)
// Both may exist; a task with neither has no candidate and counts as not solved in fast_p.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DEFAULT_TOLERANCES } from '../benchspec/defaults';
import { moduleConstants } from '../benchspec/kernelbench';
import type { Dtype, Tolerance } from '../benchspec/model';
import { taskResult, type KernelBenchPlan, type TaskResult } from '../derive/kernelbench';
import type { KernelBenchJob } from '../harness/python/protocol';
import { runKernelBench, type KernelBenchRun } from '../harness/python/run';
import { POISON_BYTE } from '../harness/poison';
import { discover } from '../kernels/discover';
import type { Target } from '../targets/target';
import { JobError } from './job-prepare';
import { randomSeeds, randomTimeSeed } from './seeds';

/**
 * KernelBench v0/v0.1's tolerance (atol = rtol = 1e-2 for every float type), the one its papers' fast_p use; `strict`
 * is ours (fp32 1e-4, as KernelBench's current code). The probes are the same either way.
 */
export type ToleranceChoice = 'kernelbench' | 'strict';

export function tolerancesOf(choice: ToleranceChoice): Partial<Record<Dtype, Tolerance>> {
  if (choice === 'strict') return { ...DEFAULT_TOLERANCES };
  return { ...DEFAULT_TOLERANCES, float32: { atol: 1e-2, rtol: 1e-2 }, float16: { atol: 1e-2, rtol: 1e-2 }, bfloat16: { atol: 1e-2, rtol: 1e-2 } };
}

/** The candidate files for a task (the convention above). */
export async function solutionsFor(task: string, solutionsDir: string): Promise<string[]> {
  const name = basename(task).replace(/\.py$/, '');
  const found: string[] = [];
  const single = join(solutionsDir, `${name}.py`);
  if ((await stat(single).catch(() => undefined))?.isFile()) found.push(single);
  const folder = join(solutionsDir, name);
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  found.push(...entries.filter((e) => e.isFile() && e.name.endsWith('.py')).map((e) => join(folder, e.name)).sort());
  return found;
}

/**
 * A task file must define a KernelBench Model with get_inputs (kernels/python/kernelbench.ts); else a JobError.
 * Resolves with its module-level integers (what --size may override).
 */
export async function readTaskFile(task: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await readFile(task, 'utf8');
  } catch (error) {
    throw new JobError('input', `${task}: cannot read the task file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const { kernels } = await discover(task, text);
  if (!kernels.some((k) => k.language === 'kernelbench' && k.name === 'Model')) {
    throw new JobError('input', `${task}: not a KernelBench task: it needs a module-level class Model(nn.Module) with forward() and a get_inputs() function`);
  }
  return moduleConstants(text);
}

/** Each task's share of the overrides: the names its file defines. A name no task defines is a mistake. */
export function sizesPerTask(overrides: Record<string, number>, constants: ReadonlyArray<Map<string, number>>): Array<Record<string, number>> {
  const unknown = Object.keys(overrides).filter((name) => !constants.some((c) => c.has(name)));
  if (unknown.length) throw new JobError('input', `--size ${unknown.join(', ')}: no task file defines a module-level integer of that name`);
  return constants.map((c) => Object.fromEntries(Object.entries(overrides).filter(([name]) => c.has(name))));
}

export interface KernelBenchOptions {
  target: Target;
  python?: string;
  /** Check seeds (at least 3 for the seeds probe). */
  seeds: number[];
  pairs: number;
  warmup: number;
  baselineIters: number;
  tolerance: ToleranceChoice;
  sizes: Record<string, number>;
  device: KernelBenchJob['device'];
  compile: boolean;
  /** Per task run. */
  timeoutMs: number;
  signal?: AbortSignal;
  progress?: (line: string) => void;
}

export interface KernelBenchTaskRun {
  result: TaskResult;
  /** The events as recorded, by which `result` re-derives (derive/kernelbench.ts taskResult). */
  run?: KernelBenchRun;
  plan: KernelBenchPlan;
}

const L2_FLUSH_BYTES = 256 * 1024 * 1024;

/** What the editor's Benchmark and an optimize run use: five check seeds, 30 interleaved pairs, KernelBench's tolerance. */
export function defaultKernelBenchOptions(target: Target): KernelBenchOptions {
  return { target, seeds: randomSeeds(5), pairs: 30, warmup: 3, baselineIters: 30, tolerance: 'kernelbench', sizes: {}, device: 'auto', compile: true, timeoutMs: 600_000 };
}

/** One task with the given candidate files as one Python gate process on the target; its results derived. */
export async function evaluateTask(task: string, candidates: readonly string[], sizes: Record<string, number>, options: KernelBenchOptions): Promise<KernelBenchTaskRun> {
  const plan: KernelBenchPlan = { seeds: options.seeds, tolerance: tolerancesOf(options.tolerance) };
  const job = {
    seeds: options.seeds,
    initSeed: 42,
    timeSeed: randomTimeSeed(),
    warmup: options.warmup,
    pairs: options.pairs,
    baselineIters: options.baselineIters,
    tolerance: plan.tolerance as Record<string, Tolerance>,
    poisonByte: POISON_BYTE.float32,
    sizes,
    device: options.device,
    compile: options.compile,
    l2FlushBytes: L2_FLUSH_BYTES,
    candidateTimeoutS: Math.max(1, Math.floor(options.timeoutMs / 1000)),
  };
  const gpu = options.device !== 'cpu';
  // One job at a time on a GPU (targets/gpu-gate.ts): the task's process is the GPU phase, as for CUDA and Triton jobs.
  const release = gpu && options.target.acquireGpu ? await options.target.acquireGpu(0, `KernelBench ${basename(task)}`, { ...(options.signal ? { signal: options.signal } : {}) }) : undefined;
  try {
    const run = await runKernelBench(task, [...candidates], job, { target: options.target, python: options.python, timeoutMs: options.timeoutMs * (candidates.length + 1), signal: options.signal, gpu });
    return { result: taskResult(task, run, plan), run, plan };
  } finally {
    await release?.();
  }
}

/** Evaluates each task with its candidates, one after another. */
export async function evaluateKernelBench(tasks: readonly string[], solutionsDir: string, options: KernelBenchOptions): Promise<KernelBenchTaskRun[]> {
  const out: KernelBenchTaskRun[] = [];
  const sizes = sizesPerTask(options.sizes, await Promise.all(tasks.map(readTaskFile)));
  for (const [index, task] of tasks.entries()) {
    const candidates = await solutionsFor(task, solutionsDir);
    options.progress?.(`${basename(task)}: ${candidates.length} candidate(s)${candidates.length ? '' : ` (none in ${solutionsDir} as ${basename(task)} or ${basename(task).replace(/\.py$/, '')}/*.py)`}`);
    out.push(await evaluateTask(task, candidates, sizes[index], options));
  }
  return out;
}
