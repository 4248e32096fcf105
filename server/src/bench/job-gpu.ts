// The GPU side of a bench job: which device, its measured ceilings (cached per GPU), and running the harness
// with errors turned into JobErrors. All process work goes through the Target.

import { homedir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import type { CeilingsReport, CheckReport, TimeReport } from '../harness/protocol';
import { HarnessRunError, harnessArgs, runHarness, type CheckCommand, type TimeCommand } from '../harness/run';
import { firstVisibleGpu, listGpus, type GpuInfo } from '../targets/gpus';
import type { Target } from '../targets/target';
import { defaultCeilingsPath, loadCeilingsCache, lookupCeilings, saveCeilingsCache, storeCeilings, type GpuIdentity } from './ceilings';
import { JobError } from './job-prepare';
import type { Ceilings } from './roofline';

export interface GpuContext {
  target: Target;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** Every harness command line run, in order (the run record keeps them). */
  commands: string[][];
  timeoutMs?: number;
}

/** The target's first GPU, or a JobError that says there is none and what to do instead. */
export async function requireGpu(target: Target, signal?: AbortSignal): Promise<GpuInfo> {
  const gpus = await listGpus(target, { signal });
  if (gpus.length === 0) {
    throw new JobError('no-device', `no CUDA device on target '${target.name}' (nvidia-smi found no GPU): run on a machine with an NVIDIA GPU, or use --dry-run to only build`);
  }
  // The harness runs on CUDA device 0, which CUDA_VISIBLE_DEVICES (inherited by the target's processes) may map to
  // another GPU than nvidia-smi's first; records and the ceilings cache must name the GPU that ran.
  const visible = process.env.CUDA_VISIBLE_DEVICES;
  const gpu = firstVisibleGpu(gpus, visible);
  if (!gpu) {
    throw new JobError('no-device', `CUDA_VISIBLE_DEVICES='${visible}' names no GPU that nvidia-smi lists on target '${target.name}' (it lists ${gpus.map((g) => `${g.index}: ${g.name}`).join(', ')}): set it to one of those indices, or unset it`);
  }
  return gpu;
}

function asJobError(error: unknown, what: string): JobError {
  if (error instanceof JobError) return error;
  if (error instanceof HarnessRunError) {
    const kind = error.stage === 'device' ? 'no-device' : 'run';
    const stderr = error.kind === 'report' && error.details.stderr?.trim() ? ` (stderr: ${error.details.stderr.trim().split('\n').slice(-3).join(' | ')})` : '';
    return new JobError(kind, `${what}: ${error.message}${stderr}`, { cause: error });
  }
  return new JobError('run', `${what}: ${(error as Error).message}`, { cause: error });
}

export async function runCheck(ctx: GpuContext, binary: string, command: Omit<CheckCommand, 'mode'>, what: string): Promise<CheckReport> {
  await mkdir(command.outDir, { recursive: true });
  const full: CheckCommand = { mode: 'check', ...command };
  ctx.commands.push([binary, ...harnessArgs(full)]);
  try {
    return await runHarness(binary, full, { target: ctx.target, signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  } catch (error) {
    throw asJobError(error, what);
  }
}

export async function runTime(ctx: GpuContext, binary: string, command: Omit<TimeCommand, 'mode'>, what: string): Promise<TimeReport> {
  const full: TimeCommand = { mode: 'time', ...command };
  ctx.commands.push([binary, ...harnessArgs(full)]);
  try {
    return await runHarness(binary, full, { target: ctx.target, signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  } catch (error) {
    throw asJobError(error, what);
  }
}

export interface ResolvedCeilings extends Ceilings {
  source: 'measured' | 'cache';
  measuredAt?: string;
}

/**
 * The GPU's copy and FMA ceilings: from the cache file when this GPU (name, driver, index) was measured before,
 * else measured now with the harness's `ceilings` mode and stored. A cache that cannot be read is reported and
 * re-measured in memory rather than silently overwritten.
 */
export async function ceilingsFor(ctx: GpuContext, gpu: GpuInfo, binary: string, cachePath = defaultCeilingsPath(homedir())): Promise<ResolvedCeilings> {
  const id: GpuIdentity = { name: gpu.name, driverVersion: gpu.driver, index: gpu.index };
  let cache: Awaited<ReturnType<typeof loadCeilingsCache>> | undefined;
  try {
    cache = await loadCeilingsCache(cachePath);
    const hit = lookupCeilings(cache, id);
    if (hit) {
      ctx.onProgress?.(`ceilings: cached for ${gpu.name} (${cachePath})`);
      return { copyBytesPerSecond: hit.copyBytesPerSecond, fp32FlopsPerSecond: hit.fp32FlopsPerSecond, source: 'cache', measuredAt: hit.measuredAt };
    }
  } catch (error) {
    ctx.onProgress?.(`ceilings: ${(error as Error).message}; measuring without saving`);
    cache = undefined;
  }
  ctx.onProgress?.(`ceilings: measuring copy bandwidth and FP32 throughput on ${gpu.name}`);
  ctx.commands.push([binary, 'ceilings']);
  let report: CeilingsReport;
  try {
    report = await runHarness(binary, { mode: 'ceilings' }, { target: ctx.target, signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  } catch (error) {
    throw asJobError(error, 'measuring the GPU ceilings');
  }
  const now = new Date();
  const ceilings = { copyBytesPerSecond: report.copyBytesPerSecond, fp32FlopsPerSecond: report.fp32FlopsPerSecond };
  if (cache) {
    try {
      await saveCeilingsCache(cachePath, storeCeilings(cache, id, ceilings, { now, device: report.device }));
    } catch (error) {
      ctx.onProgress?.(`ceilings: not cached (${(error as Error).message})`);
    }
  }
  return { ...ceilings, source: 'measured', measuredAt: now.toISOString() };
}
