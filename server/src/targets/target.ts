// A target is where commands run: this machine now; SSH and Slurm later.
// This folder is the only code that spawns processes (ARCHITECTURE.md).

import type { AcquireOptions } from './gpu-gate';

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
  /** Wall-clock limit; the whole process tree is killed when it passes. */
  timeoutMs?: number;
  /** Cancelling kills the whole process tree. */
  signal?: AbortSignal;
  input?: string;
  env?: Record<string, string | undefined>;
  /** Run inside the target's sandbox (candidate builds and harness runs): no network, only these folders, bounded. */
  sandbox?: SandboxPolicy;
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

export interface Target {
  /** Shown in messages: "no CUDA device on target 'local'". */
  readonly name: string;
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Waits until no other KernelPilot job (of this process or another) times on GPU `index` of this target, then
   * holds it until the returned release runs; waits are reported through options.onWait (gpu-gate.ts). Optional:
   * a target without it (a test stand-in) is not shared.
   */
  acquireGpu?(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>>;
}
