// Which gate verifies an optimize run's candidates, chosen in one place by the kernel's language for the command line
// and the editor alike: a CUDA kernel's by the prepared evaluation (optimize-gate.ts), a Triton kernel's by the Python
// gate (triton-optimize.ts), a KernelBench task's Model by the KernelBench gate against ModelNew files
// (kernelbench-optimize.ts).

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { KernelBenchJob } from '../harness/python/protocol';
import { discover } from '../kernels/discover';
import { unreadableReason } from '../kernels/language';
import type { KernelLanguage } from '../kernels/model';
import type { PreparedOptimization } from '../optimize/evaluator';
import type { EvaluationOptions } from './evaluation';
import { prepareKernelBenchOptimization } from './kernelbench-optimize';
import { prepareOptimization } from './optimize-gate';
import { prepareTritonOptimization } from './triton-optimize';

/** A Triton kernel's Python gate: the python on the target (default python3), the device, timed pairs per candidate. */
export interface PythonGateOptions {
  python?: string;
  device?: KernelBenchJob['device'];
  pairs?: number;
}

export interface OptimizeGateOptions extends EvaluationOptions {
  triton?: PythonGateOptions;
}

/**
 * The language of the kernel a request means (by name, else the file's first CUDA or Triton kernel, else its
 * KernelBench Model). A file that cannot be read or has no kernel goes to the gate its name suggests, which says what
 * is wrong with it as it always has.
 */
export async function kernelLanguageOf(file: string, wanted: string | undefined): Promise<KernelLanguage> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const kernels = text === undefined || unreadableReason(text) ? [] : (await discover(file, text)).kernels;
  const kernel = wanted === undefined ? (kernels.find((k) => k.language !== 'kernelbench') ?? kernels[0]) : (kernels.find((k) => k.qualifiedName === wanted) ?? kernels.find((k) => k.name === wanted));
  return kernel?.language ?? (file.endsWith('.py') ? 'triton' : 'cuda');
}

/** The gate prepared for the kernel's language, with the loop's problem and evaluator. */
export async function prepareOptimizationFor(options: OptimizeGateOptions): Promise<PreparedOptimization> {
  const { triton, ...gate } = options;
  const language = await kernelLanguageOf(resolve(gate.workspace, gate.file), gate.kernel);
  switch (language) {
    case 'cuda':
      return prepareOptimization(gate);
    case 'triton': {
      const { python, device, pairs } = triton ?? {};
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
    case 'kernelbench': {
      const { python, device, pairs } = triton ?? {};
      return prepareKernelBenchOptimization({ file: resolve(gate.workspace, gate.file), workspace: gate.workspace, target: gate.target, ...(python ? { python } : {}), ...(device ? { device } : {}), ...(pairs ? { pairs } : {}), ...(gate.signal ? { signal: gate.signal } : {}), ...(gate.onProgress ? { onProgress: gate.onProgress } : {}) });
    }
  }
}
