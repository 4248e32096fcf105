// The command line's way to the gate: the evaluation's options from optimize's flags (its target with the sandbox
// chosen, the caches). Which gate, by the kernel's language, is bench/optimize-prepare.ts's choice, shared with the
// language server.

import type { EvaluationOptions } from '../bench/evaluation';
import { prepareOptimizationFor } from '../bench/optimize-prepare';
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

/** The gate prepared for an optimize request from the command line, for the kernel's language (bench/optimize-prepare.ts). */
export async function prepareFromFlags(request: PrepareRequest, options: JobCliOptions = {}): Promise<PreparedOptimization> {
  return prepareOptimizationFor({ ...(await evaluationOptions(request, options)), ...(request.triton ? { triton: request.triton } : {}) });
}
