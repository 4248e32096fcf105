// A target is where commands run: this machine (local.ts) or one reached over SSH (ssh.ts). It carries everything
// that touches that machine: processes, files (put/get and where a file of this machine is seen there), a scratch
// folder per job, its GPUs and their gate, and its identity. Nothing above targets/ reads the local file system on
// a target's behalf or this process's CUDA_VISIBLE_DEVICES. This folder is the only code that spawns processes.

import type { AcquireOptions } from './gpu-gate';
import type { GpuInfo } from './gpus';
import type { Scratch } from './scratch';

export interface SandboxPolicy {
  /** Folders the process may write (its scratch folder); everything else read-only or hidden. */
  writable: string[];
  /** Folders it may read besides the system and toolkit (e.g. the user's source folder for includes). */
  readable?: string[];
  /** The GPU device files are reachable (harness runs: true; builds: false). */
  gpu: boolean;
  limits?: { cpuSeconds?: number; memoryBytes?: number; processes?: number; outputBytes?: number };
}

/** Which sandbox limit ended a process. */
export type SandboxLimit = 'cpu-time' | 'memory' | 'processes' | 'output';

export interface ExecOptions {
  cwd?: string;
  /** Wall-clock limit (0 included); the whole process tree is killed when it passes. Undefined: no limit. */
  timeoutMs?: number;
  /** Cancelling kills the whole process tree. */
  signal?: AbortSignal;
  input?: string;
  /** Standard input from this file instead (an archive on its way to another machine). */
  inputFile?: string;
  env?: Record<string, string | undefined>;
  /** Run inside the target's sandbox (candidate builds and harness runs): no network, only these folders, bounded. */
  sandbox?: SandboxPolicy;
  /** A compile: waits for one of the process's limited compile slots (targets/compile-slots.ts) before it starts. */
  compile?: boolean;
}

export interface ExecResult {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  /** The program could not be started at all (not found, not executable). */
  notFound: boolean;
  durationMs: number;
  /** A sandbox limit ended the process, with a sentence that says which and how much. */
  limit?: { kind: SandboxLimit; message: string };
  /** Asked for a sandbox: whether it ran in one (false only when the user chose to run candidates unsandboxed). */
  sandboxed?: boolean;
}

/** A target could not be reached, or the connection dropped while a command ran; the message names the host. */
export class TargetConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetConnectionError';
  }
}

export interface TransferOptions {
  signal?: AbortSignal;
}

export interface Target {
  /** Shown in messages: "no CUDA device on target 'local'". */
  readonly name: string;
  /**
   * The machine its processes run on (`vm1`, `ssh:alice@gpu1:22`): part of the ceilings cache key, the GPU locks'
   * names and the run records, so nothing measured on one machine is taken for another's.
   */
  readonly host: string;
  /** Where `localPath` (a file or folder of this machine) is seen by the target's processes, once put there. */
  targetPath(localPath: string): string;
  /**
   * Makes these files and folders of this machine present at targetPath(each) (symbolic links followed); only what
   * changed is copied. On this machine, nothing to do.
   */
  put(localPaths: readonly string[], options?: TransferOptions): Promise<void>;
  /** Copies the target's file `targetFile` to `localPath` here (nothing to do when they are the same file). */
  get(targetFile: string, localPath: string, options?: TransferOptions): Promise<void>;
  /** A private folder on the target for one job (its path as the target sees it), removed by `remove()` and at exit. */
  createScratch(purpose: string, options?: TransferOptions): Promise<Scratch>;
  /**
   * The GPUs the target holds now, in the order its processes number them (device 0 first). Called after the GPU
   * is acquired: a scheduler allocates before it can say which GPUs it gave. None is not an error: an empty list.
   */
  heldGpus(options?: { signal?: AbortSignal }): Promise<GpuInfo[]>;
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** How many compiles may run there at once: its cores (asked once). Optional: a stand-in uses this machine's. */
  cores?(options?: { signal?: AbortSignal }): Promise<number>;
  /**
   * Where a compile that needs no GPU (the static check) runs without taking the target's GPUs: a Slurm cluster's
   * login node, so checking a file on save never waits for or holds an allocation. Default: the target itself.
   */
  readonly compileTarget?: Target;
  /**
   * Waits until no other KernelPilot job (of this process or another) times on GPU `index` of this target, then
   * holds it until the returned release runs; waits are reported through options.onWait (gpu-gate.ts). Optional:
   * a target without it (a test stand-in) is not shared. The gate is per host and GPU.
   */
  acquireGpu?(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>>;
  /**
   * Gives back what the target holds for its life (a Slurm allocation) once the commands and GPU holds in progress
   * end; a later command acquires again. The editor calls it when the user switches to another target.
   */
  release?(): Promise<void>;
}
