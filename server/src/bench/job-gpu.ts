// The GPU side of a bench job: which device, its measured ceilings (cached per GPU and timing method), and running
// the gate runtime with its failures turned into JobErrors. All process work goes through the Target.

import type { CeilingsEvent, GateEvent, TimingMethod } from '../harness/protocol';
import { HarnessRunError, gateArgs, runGate, type GateCommand, type TimingChoice } from '../harness/run';
import type { GpuInfo } from '../targets/gpus';
import type { SandboxPolicy, Target } from '../targets/target';
import { defaultCeilingsPath, loadCeilingsCache, lookupCeilings, saveCeilingsCache, storeCeilings, type GpuIdentity } from './ceilings';
import { JobError } from './job-prepare';
import type { Ceilings } from '../derive/roofline';

export interface GpuContext {
  target: Target;
  /** The gate runtime executable. */
  runtime: string;
  /** Where the runtime looks for libcupti when the loader does not find it. */
  cuptiDirs: readonly string[];
  timing?: TimingChoice;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** Every runtime command line run, in order (the run record keeps them). */
  commands: string[][];
  timeoutMs?: number;
  /** Which GPU the runtime sees as its device 0 (gpus.ts onlyGpu): each GPU of a pool its own. */
  env?: Record<string, string>;
}

/**
 * The GPUs the target holds, its processes' device 0 first, or a JobError that says there is none and what to do
 * instead. Several only when each can be shown to a process alone (GpuInfo.visibleAs): else the first, as given.
 */
export async function requireGpus(target: Target, signal?: AbortSignal): Promise<GpuInfo[]> {
  let gpus: GpuInfo[];
  try {
    gpus = await target.heldGpus({ signal });
  } catch (error) {
    throw new JobError('no-device', (error as Error).message, { cause: error });
  }
  // The runtime uses CUDA device 0 of what it is shown: the target lists its GPUs in its processes' numbering, so
  // records and the ceilings cache name the GPU that ran.
  if (gpus.length === 0) {
    throw new JobError('no-device', `no CUDA device on target '${target.name}' (nvidia-smi found no GPU): run on a machine with an NVIDIA GPU, or use --dry-run to only build`);
  }
  return gpus.every((g) => g.visibleAs !== undefined) ? gpus : gpus.slice(0, 1);
}

export function asJobError(error: unknown, what: string): JobError {
  if (error instanceof JobError) return error;
  if (error instanceof HarnessRunError) {
    const kind = error.stage === 'device' ? 'no-device' : 'run';
    const stderr = error.kind === 'report' && error.details.stderr?.trim() ? ` (stderr: ${error.details.stderr.trim().split('\n').slice(-3).join(' | ')})` : '';
    return new JobError(kind, `${what}: ${error.message}${stderr}`, { cause: error });
  }
  return new JobError('run', `${what}: ${(error as Error).message}`, { cause: error });
}

/** Runs one gate command; a HarnessRunError is left as it is (the caller decides whose fault it is). */
export function runGateCommand(ctx: GpuContext, command: GateCommand, options: { cwd?: string; sandbox?: SandboxPolicy } = {}): Promise<GateEvent[]> {
  ctx.commands.push([ctx.runtime, ...gateArgs(command)]);
  return runGate(ctx.runtime, command, {
    target: ctx.target,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    env: { KP_CUPTI_DIRS: ctx.cuptiDirs.join(':'), ...ctx.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  });
}

export interface ResolvedCeilings extends Ceilings {
  source: 'measured' | 'cache';
  measuredAt?: string;
  /** How the ceiling kernels were timed: the same way as the kernels they bound. */
  method?: TimingMethod;
}

/**
 * The GPU's copy and FMA ceilings: from the cache file when this GPU (host, name, driver, index) was measured before
 * with this timing method, else measured now with the runtime's `ceilings` mode and stored. A cache that cannot be
 * read is reported and re-measured in memory rather than silently overwritten.
 */
export async function ceilingsFor(ctx: GpuContext, gpu: GpuInfo, method: TimingMethod, cachePath = defaultCeilingsPath()): Promise<ResolvedCeilings> {
  const id: GpuIdentity = { host: ctx.target.host, name: gpu.name, driverVersion: gpu.driver, index: gpu.index, method };
  let cache: Awaited<ReturnType<typeof loadCeilingsCache>> | undefined;
  try {
    cache = await loadCeilingsCache(cachePath);
    const hit = lookupCeilings(cache, id);
    if (hit) {
      ctx.onProgress?.(`ceilings: cached for ${gpu.name} (${cachePath})`);
      return { copyBytesPerSecond: hit.copyBytesPerSecond, fp32FlopsPerSecond: hit.fp32FlopsPerSecond, source: 'cache', measuredAt: hit.measuredAt, method };
    }
  } catch (error) {
    ctx.onProgress?.(`ceilings: ${(error as Error).message}; measuring without saving`);
    cache = undefined;
  }
  ctx.onProgress?.(`ceilings: measuring copy bandwidth and FP32 throughput on ${gpu.name}`);
  let report: CeilingsEvent | undefined;
  try {
    report = (await runGateCommand(ctx, { mode: 'ceilings', ...(ctx.timing ? { timing: ctx.timing } : {}) })).find((e): e is CeilingsEvent => e.kind === 'ceilings');
  } catch (error) {
    throw asJobError(error, 'measuring the GPU ceilings');
  }
  if (!report) throw new JobError('run', 'measuring the GPU ceilings: the gate runtime printed no ceilings event');
  const now = new Date();
  const ceilings = { copyBytesPerSecond: report.copyBytesPerSecond, fp32FlopsPerSecond: report.fp32FlopsPerSecond };
  // Cached under the method that really ran (CUPTI may have been unavailable).
  const measuredId = { ...id, method: report.method };
  if (cache) {
    try {
      await saveCeilingsCache(cachePath, storeCeilings(cache, measuredId, ceilings, { now, device: report.device }));
    } catch (error) {
      ctx.onProgress?.(`ceilings: not cached (${(error as Error).message})`);
    }
  }
  return { ...ceilings, source: 'measured', measuredAt: now.toISOString(), method: report.method };
}
