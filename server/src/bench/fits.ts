// Sizes that cannot run, refused before anything is built: a scalar whose value does not fit the kernel's integer
// parameter (`int n` = 3 000 000 000 would arrive as a negative number), and buffers that cannot fit in the GPU's
// memory (the harness would fail after the build, or the driver would swap). Each refusal names the spec field.
import { dtypeOfCType, ELEMENT_BYTES, isIntegerDtype } from '../benchspec/defaults';
import { evaluate } from '../benchspec/expr';
import type { BenchSpec, Dtype } from '../benchspec/model';
import type { Kernel } from '../kernels/model';
import type { GpuInfo } from '../targets/gpus';
import { JobError, type PreparedSpec } from './job-prepare';
import { elementCount } from '../derive/shapes';

const INTEGER_RANGE: Partial<Record<Dtype, [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** What the harness keeps free beside one buffer set (kp_runtime.cu: the kernel's own allocations, the context). */
const SLACK_BYTES = 256 * 2 ** 20;

function bytesText(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The kernel parameter a spec argument feeds: by name, else by position. */
function paramType(kernel: Kernel, spec: BenchSpec, index: number): string | undefined {
  const arg = spec.args[index];
  return (kernel.params.find((p) => p.name === arg.name) ?? kernel.params[index])?.type;
}

/** Scalars whose value overflows the integer type the kernel declares for them, one message per field. */
export function scalarRangeProblems(spec: BenchSpec, kernel: Kernel): string[] {
  const problems: string[] = [];
  spec.args.forEach((arg, i) => {
    if (arg.role !== 'scalar' || arg.value === undefined) return;
    const declared = paramType(kernel, spec, i);
    const dtype = (declared && dtypeOfCType(declared)) || arg.dtype;
    const range = isIntegerDtype(dtype) ? INTEGER_RANGE[dtype] : undefined;
    if (!range) return;
    let value: number;
    try {
      value = evaluate(arg.value, spec.sizes);
    } catch {
      return; // validation reports expressions that do not evaluate
    }
    if (!Number.isInteger(value)) return;
    const [low, high] = range;
    if (BigInt(value) < low || BigInt(value) > high) {
      problems.push(`args[${i}] (${arg.name}) is ${value} (from '${arg.value}'), which does not fit the kernel's ${declared ?? dtype} parameter (${low} … ${high}): use smaller sizes, or a wider parameter type`);
    }
  });
  return problems;
}

/** One buffer set must fit in the GPU's memory beside the harness's slack; undefined when it does. */
export function memoryProblem(spec: BenchSpec, gpu: Pick<GpuInfo, 'name' | 'memoryMiB' | 'index'>): string | undefined {
  const buffers: { field: string; bytes: number }[] = [];
  spec.args.forEach((arg, i) => {
    if (arg.role === 'scalar' || !arg.shape) return;
    let elements: number;
    try {
      elements = elementCount(arg.shape.map((e) => evaluate(e, spec.sizes)));
    } catch {
      return;
    }
    buffers.push({ field: `args[${i}] (${arg.name}, shape [${arg.shape.join(', ')}])`, bytes: elements * ELEMENT_BYTES[arg.dtype] * (arg.role === 'inout' ? 2 : 1) });
  });
  const total = buffers.reduce((sum, b) => sum + b.bytes, 0);
  const memory = gpu.memoryMiB * 2 ** 20;
  if (total + SLACK_BYTES <= memory) return undefined;
  const largest = buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return `the buffers need ${bytesText(total)} but GPU ${gpu.index} (${gpu.name}) has ${bytesText(memory)}; the largest is ${largest.field} at ${bytesText(largest.bytes)} with sizes ${JSON.stringify(spec.sizes)}: use smaller sizes`;
}

/** Throws a JobError naming every field whose size cannot run (memory only when the GPU is known). */
export function refuseUnrunnableSizes(prepared: PreparedSpec, gpu: GpuInfo | undefined): void {
  const memory = gpu ? memoryProblem(prepared.spec, gpu) : undefined;
  const problems = [...scalarRangeProblems(prepared.spec, prepared.kernel), ...(memory ? [memory] : [])];
  if (problems.length === 0) return;
  const origin = prepared.source.kind === 'file' ? prepared.source.path : 'the inferred spec';
  throw new JobError('spec', `${prepared.kernel.qualifiedName} cannot run with ${origin}, nothing was built:\n  ${problems.join('\n  ')}`, {
    ...(prepared.source.kind === 'file' ? { where: { specFile: prepared.source.path } } : {}),
  });
}
