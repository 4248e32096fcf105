// The command line's way to the gate: the evaluation's options from optimize's flags (its target with the sandbox
// chosen, the caches). The adapter itself is bench/optimize-gate.ts, shared with the language server.

import type { EvaluationOptions } from '../bench/evaluation';
import { prepareOptimization } from '../bench/optimize-gate';
import { readFile } from 'node:fs/promises';
import { prepareKernelBenchOptimization } from '../bench/kernelbench-optimize';
import { prepareTritonOptimization } from '../bench/triton-optimize';
import { discover } from '../kernels/discover';
import { CliError } from './errors';
import type { PreparedOptimization } from '../optimize/evaluator';
import { defaultTarget, type JobCliOptions } from './job-common';
import type { PrepareRequest } from './optimize';

/** The gate's options for an optimize request (also --dry-run's): the kernel, its spec, the target with the sandbox chosen. */
export async function evaluationOptions(request: PrepareRequest, options: JobCliOptions = {}): Promise<EvaluationOptions> {
  return {
    file: request.file,
    ...(request.kernel ? { kernel: request.kernel } : {}),
    ...(request.spec ? { specPath: request.spec } : {}),
    workspace: request.workspace,
    target: await defaultTarget({ ...options, sandbox: options.sandbox ?? request.sandbox, ...(request.target !== undefined ? { targetName: request.target } : {}) }),
    signal: request.signal,
    onProgress: request.onProgress,
    ...(options.ceilingsPath ? { ceilingsPath: options.ceilingsPath } : {}),
    ...(options.buildCacheDir ? { buildCacheDir: options.buildCacheDir } : {}),
  };
}

/** A KernelBench task file's Model is what is asked for (by name, or as the file's only KernelBench class). */
async function isKernelBenchTask(file: string, kernel: string | undefined): Promise<boolean> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return false;
  const { kernels } = await discover(file, text);
  if (kernel !== undefined) return kernels.some((k) => k.qualifiedName === kernel && k.language === 'kernelbench');
  return !kernels.some((k) => k.language === 'triton') && kernels.some((k) => k.language === 'kernelbench' && k.name === 'Model');
}

/** The gate prepared for an optimize request from the command line: for a .py file the KernelBench gate (a task's Model) or the Triton gate, else the CUDA gate. */
export async function prepareFromFlags(request: PrepareRequest, options: JobCliOptions = {}): Promise<PreparedOptimization> {
  const gate = await evaluationOptions(request, options);
  if (!request.file.endsWith('.py')) return prepareOptimization(gate);
  const { python, device, pairs } = request.triton ?? {};
  if (device !== undefined && device !== 'auto' && device !== 'cpu' && device !== 'cuda') throw new CliError(`--device must be auto, cpu or cuda, got '${device}'`, 2);
  if (await isKernelBenchTask(gate.file, gate.kernel)) {
    return prepareKernelBenchOptimization({ file: gate.file, workspace: gate.workspace, target: gate.target, ...(python ? { python } : {}), ...(device ? { device } : {}), ...(pairs ? { pairs } : {}), ...(gate.signal ? { signal: gate.signal } : {}), ...(gate.onProgress ? { onProgress: gate.onProgress } : {}) });
  }
  return prepareTritonOptimization({
    file: gate.file,
    ...(gate.kernel ? { kernel: gate.kernel } : {}),
    ...(gate.specPath ? { specPath: gate.specPath } : {}),
    workspace: gate.workspace,
    target: gate.target,
    ...(python ? { python } : {}),
    ...(device ? { device } : {}),
    ...(pairs ? { pairs, iters: pairs } : {}),
    ...(gate.signal ? { signal: gate.signal } : {}),
    ...(gate.onProgress ? { onProgress: gate.onProgress } : {}),
  });
}
