import { execa } from 'execa';
import { acquireGpuLock } from './gpu-lock';
import type { ExecOptions, ExecResult, Target } from './target';

/** Runs commands on this machine. Each command gets its own process group so a timeout or a cancel kills the whole tree (nvcc spawns cicc, ptxas, …). */
export class LocalTarget implements Target {
  readonly name = 'local';

  acquireGpu(index: number, what: string, options: { signal?: AbortSignal; onWait?: (holder: string) => void }): Promise<() => Promise<void>> {
    return acquireGpuLock(index, what, options);
  }

  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    const command = [file, ...args].join(' ');
    const child = execa(file, args, {
      cwd: options.cwd,
      input: options.input,
      env: options.env,
      extendEnv: true,
      reject: false,
      detached: true,
      stripFinalNewline: false,
      maxBuffer: 256 * 1024 * 1024,
    });
    let timedOut = false;
    let cancelled = false;
    const killTree = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = options.timeoutMs ? setTimeout(() => { timedOut = true; killTree(); }, options.timeoutMs) : undefined;
    const onAbort = () => { cancelled = true; killTree(); };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await child;
      const code = (result as { code?: string }).code;
      return {
        command,
        exitCode: result.exitCode,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        timedOut,
        cancelled,
        notFound: code === 'ENOENT' || code === 'EACCES',
        durationMs: performance.now() - started,
      };
    } finally {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }
}
