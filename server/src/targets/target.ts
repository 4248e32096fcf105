// A target is where commands run: this machine now; SSH and Slurm later.
// This folder is the only code that spawns processes (ARCHITECTURE.md).

export interface SandboxPolicy {
  /** Folders the process may write (its scratch folder); everything else read-only or hidden. */
  writable: string[];
  /** Folders it may read besides the system and toolkit (e.g. the user's source folder for includes). */
  readable?: string[];
  /** The GPU device files are reachable (harness runs: true; builds: false). */
  gpu: boolean;
  limits?: { cpuSeconds?: number; memoryBytes?: number; processes?: number; outputBytes?: number };
}

export interface ExecOptions {
  cwd?: string;
  /** Wall-clock limit; the whole process tree is killed when it passes. */
  timeoutMs?: number;
  /** Cancelling kills the whole process tree. */
  signal?: AbortSignal;
  input?: string;
  env?: Record<string, string | undefined>;
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
}

export interface Target {
  /** Shown in messages: "no CUDA device on target 'local'". */
  readonly name: string;
  exec(file: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Waits until no other KernelPilot process times on GPU `index` of this target, then holds it until the returned
   * release runs. Optional: a target without it (a test stand-in) is not shared.
   */
  acquireGpu?(index: number, what: string, options: { signal?: AbortSignal; onWait?: (holder: string) => void }): Promise<() => Promise<void>>;
}
