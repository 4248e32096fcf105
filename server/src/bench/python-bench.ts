// The editor's "▶ Benchmark" on Python kernels, as a lens, a hover and a notification: a Triton kernel is timed
// alone through the Triton gate (bench/triton.ts); a KernelBench task's Model runs the KernelBench gate on the task's
// solutions when a `solutions` folder beside the task (or beside its level folder) has some, else times the eager
// and torch.compile baselines alone, and says which it did.
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Kernel } from '../kernels/model';
import type { Target } from '../targets/target';
import { defaultKernelBenchOptions, evaluateKernelBench, solutionsFor } from './kernelbench';
import { candidateRows, deviceOf, summaryLines } from './kernelbench-format';
import { sig } from '../derive/num';
import { runTritonJob, type TritonJobOptions } from './triton';
import { tritonHover, tritonLens } from './triton-format';
import { TRITON_RECORD_FILE } from '../runs/triton-record';

export interface PythonBenchOptions {
  file: string;
  workspace: string;
  target: Target;
  /** The python on the target (the user's kernelpilot.python); undefined: python3 there. */
  python?: string | undefined;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  onGpuWait?: TritonJobOptions['onGpuWait'];
}

export interface PythonBenchOutcome {
  lens: string;
  hover: string;
  /** The notification: what ran and what it found. */
  notice: string;
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** The solutions folder of a task: `solutions/` beside it, else beside its level folder (KernelBench's layout). */
export async function solutionsFolder(task: string): Promise<string | undefined> {
  for (const dir of [join(dirname(task), 'solutions'), join(dirname(dirname(task)), 'solutions')]) if (await isFolder(dir)) return dir;
  return undefined;
}

/** Where an accepted ModelNew of a task goes: `<solutions folder>/<task>.py`, in the folder ▶ Benchmark reads (solutionsFolder), else a new `solutions/` beside the task. */
export function solutionFileFor(task: string): string {
  // The folder the ▶ Benchmark lens reads (solutionsFolder): beside the task, else beside its level folder, else a new one beside the task.
  const [beside, level] = [join(dirname(task), 'solutions'), join(dirname(dirname(task)), 'solutions')];
  const folder = !isFolderSync(beside) && isFolderSync(level) ? level : beside;
  return join(folder, basename(task));
}

function isFolderSync(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

async function kernelBenchTask(o: PythonBenchOptions): Promise<PythonBenchOutcome> {
  const folder = await solutionsFolder(o.file);
  const name = basename(o.file);
  const found = folder ? await solutionsFor(o.file, folder) : [];
  const [task] = await evaluateKernelBench([o.file], folder ?? join(dirname(o.file), 'solutions'), {
    ...defaultKernelBenchOptions(o.target),
    ...(o.python ? { python: o.python } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { progress: o.onProgress } : {}),
  });
  const r = task.result;
  if (r.error) throw new Error(`the KernelBench gate could not run ${name}: ${r.error}`);
  const baselines = `eager ${r.eagerMedianMs !== undefined ? `${sig(r.eagerMedianMs)} ms` : 'n/a'} · torch.compile ${r.compiledMedianMs !== undefined ? `${sig(r.compiledMedianMs)} ms` : 'n/a'}`;
  const device = deviceOf([task]);
  const rows = candidateRows(task).map((row) => `- ${row.slice(1).filter((cell) => cell !== '').join(' · ')}`);
  const hover = [`**KernelBench** ${name}`, '', baselines, '', ...(found.length ? rows : []), '', ...summaryLines([task]).map((l) => `${l}  `)].join('\n');
  if (!found.length) {
    const where = folder ? `${basename(o.file, '.py')}.py or ${basename(o.file, '.py')}/*.py in ${folder}` : 'a solutions/ folder beside the task or its level folder';
    return { lens: `${baselines} · ${device.split(' (')[0]}`, hover, notice: `${name}: no ModelNew solutions (looked for ${where}); timed the eager and torch.compile baselines only: ${baselines}` };
  }
  const accepted = r.candidates.filter((c) => c.verdict.accepted).length;
  const best = r.best !== undefined ? r.candidates[r.best] : undefined;
  const lens = best?.eager ? `best ModelNew ${sig(best.eager.speedup)}× vs eager (${accepted}/${r.candidates.length} accepted)` : `no solution accepted (0/${r.candidates.length}) · ${baselines}`;
  return { lens, hover, notice: `${name}: gated ${r.candidates.length} solution(s) from ${folder}: ${lens}` };
}

export async function benchPythonKernel(kernel: Kernel, o: PythonBenchOptions): Promise<PythonBenchOutcome> {
  if (kernel.language === 'kernelbench') return kernelBenchTask(o);
  const result = await runTritonJob({ file: o.file, kernel: kernel.qualifiedName, workspace: o.workspace, target: o.target, candidates: [], ...(o.python ? { python: o.python } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}), ...(o.onGpuWait ? { onGpuWait: o.onGpuWait } : {}) });
  if (result.kind !== 'triton') throw new Error('the Triton job only generated its launcher (dry run)');
  const lens = tritonLens(result);
  return { lens, hover: `${tritonHover(result)}\n\nrecord: \`${join(result.runDir, TRITON_RECORD_FILE)}\``, notice: `${kernel.qualifiedName}: ${lens}` };
}
