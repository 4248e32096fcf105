// What every target whose processes run on this machine shares: its files are the target's (same paths, nothing to
// copy), its scratch folders are the private ones of scratch.ts, and its GPUs are nvidia-smi's, in the order the
// CUDA_VISIBLE_DEVICES its processes inherit gives them. LocalTarget is one; test stand-ins are others.
import { copyFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { compileSlotUse } from './compile-slots';
import type { AcquireOptions } from './gpu-gate';
import { gpusSeenBy, type GpuInfo } from './gpus';
import { createScratch, type Scratch } from './scratch';
import type { ExecOptions, ExecResult, Target } from './target';

export abstract class ThisMachine implements Target {
  abstract readonly name: string;
  readonly host = hostname();

  abstract exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;

  acquireGpu?(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>>;

  targetPath(localPath: string): string {
    return resolve(localPath);
  }

  async put(): Promise<void> {
    // Already there.
  }

  async get(targetFile: string, localPath: string): Promise<void> {
    if (resolve(targetFile) !== resolve(localPath)) await copyFile(targetFile, localPath);
  }

  /** This process's compile slots: one per core unless KERNELPILOT_MAX_COMPILES says otherwise. */
  async cores(): Promise<number> {
    return compileSlotUse().limit;
  }

  createScratch(purpose: string): Promise<Scratch> {
    return createScratch(purpose);
  }

  heldGpus(options: { signal?: AbortSignal } = {}): Promise<GpuInfo[]> {
    return gpusSeenBy(this, process.env.CUDA_VISIBLE_DEVICES, options);
  }
}

/** A target on this machine made of its name and `exec` (and optionally a GPU gate): for stand-ins and wrappers. */
export function onThisMachine(parts: Pick<Target, 'name' | 'exec'> & Pick<Partial<Target>, 'acquireGpu'>): ThisMachine {
  return new (class extends ThisMachine {
    readonly name = parts.name;
    exec = parts.exec.bind(parts);
    acquireGpu = parts.acquireGpu?.bind(parts);
  })();
}
