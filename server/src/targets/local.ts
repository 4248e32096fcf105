import { execa } from 'execa';
import { acquireCompileSlot } from './compile-slots';
import { localGpuGate, type AcquireOptions } from './gpu-gate';
import { killGroup, trackChild } from './lifecycle';
import { limitOfExit, LocalSandbox, sandboxProgramMissing, type SandboxSettings } from './sandbox';
import { watchSandbox } from './sandbox-watch';
import type { ExecOptions, ExecResult } from './target';
import { ThisMachine } from './this-machine';

export interface LocalTargetOptions {
  /** Read at every sandboxed exec, so a changed editor setting applies to the next job. Default: sandboxed, bwrap on PATH. */
  sandbox?: () => SandboxSettings;
  /** Told once per situation: no sandbox is available (and what to do about it), or candidates run unsandboxed by choice. */
  onSandboxNotice?: (message: string) => void;
}

/**
 * Runs commands on this machine. Each command gets its own process group so a timeout or a cancel kills the whole
 * tree (nvcc spawns cicc, ptxas, …), and is tracked while it runs so none outlives this process (lifecycle.ts).
 */
export class LocalTarget extends ThisMachine {
  readonly name = 'local';
  private readonly sandbox: LocalSandbox;

  constructor(options: LocalTargetOptions = {}) {
    super();
    this.sandbox = new LocalSandbox(options.sandbox ?? (() => ({ enabled: true })), (file, args) => this.exec(file, args, { timeoutMs: 30_000 }), options.onSandboxNotice);
  }

  acquireGpu(index: number, what: string, options: AcquireOptions): Promise<() => Promise<void>> {
    return localGpuGate.acquire(index, what, options, this.host);
  }

  /** With options.sandbox: throws SandboxUnavailableError when no sandbox can be made and the user has not chosen to run without one. */
  async exec(file: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const started = performance.now();
    const plan = options.sandbox ? await this.sandbox.plan(file, args, options.sandbox, options) : undefined;
    const command = [file, ...args].join(' ');
    const releaseSlot = options.compile ? await acquireCompileSlot(options.signal) : undefined;
    if (options.compile && !releaseSlot) {
      return { command, exitCode: undefined, stdout: '', stderr: '', timedOut: false, cancelled: true, notFound: false, durationMs: performance.now() - started };
    }
    const child = execa(plan?.file ?? file, plan?.args ?? args, {
      cwd: options.cwd,
      ...(options.inputFile === undefined ? { input: options.input } : { inputFile: options.inputFile }),
      // A sandboxed command gets its environment inside bwrap (--setenv); bwrap itself runs with ours.
      env: plan?.sandboxed ? undefined : options.env,
      extendEnv: true,
      reject: false,
      detached: true,
      stripFinalNewline: false,
      maxBuffer: plan?.limits.outputBytes ?? 256 * 1024 * 1024,
    });
    const untrack = child.pid === undefined ? undefined : trackChild(child.pid);
    let timedOut = false;
    let cancelled = false;
    let limit: ExecResult['limit'];
    const killTree = () => {
      if (child.pid !== undefined) killGroup(child.pid);
    };
    // 0 is a limit like any other (it ends the command at once), not "no limit": only undefined means none.
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => { timedOut = true; killTree(); }, Math.max(0, options.timeoutMs));
    const onAbort = () => { cancelled = true; killTree(); };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // The sandbox's watchdog names a fork storm or a memory flood and ends it at once (sandbox-watch.ts).
    const watch = plan?.sandboxed && child.pid !== undefined ? watchSandbox(child.pid, plan.limits, (kind, message) => { limit = { kind, message }; killTree(); }) : undefined;
    try {
      const result = await child;
      const code = (result as { code?: string }).code;
      const exec: ExecResult = {
        command,
        exitCode: result.exitCode,
        stdout: String(result.stdout ?? ''),
        stderr: String(result.stderr ?? ''),
        timedOut,
        cancelled,
        notFound: code === 'ENOENT' || code === 'EACCES' || (plan?.sandboxed === true && sandboxProgramMissing(file, options.cwd, result.exitCode)),
        durationMs: performance.now() - started,
        ...(plan ? { sandboxed: plan.sandboxed } : {}),
      };
      if (plan && result.isMaxBuffer) {
        // execa stopped reading and ended the process; each stream keeps its first outputBytes, marked as cut.
        killTree();
        limit ??= { kind: 'output', message: `wrote more than the sandbox's limit of ${plan.limits.outputBytes} bytes of output and was ended` };
        const marker = `\n[kernelpilot: output cut at ${plan.limits.outputBytes} bytes; the process was ended]\n`;
        if (exec.stdout.length >= plan.limits.outputBytes) exec.stdout += marker;
        if (exec.stderr.length >= plan.limits.outputBytes) exec.stderr += marker;
      }
      const ended = limit ?? (plan?.sandboxed ? limitOfExit(exec, plan.limits) : undefined);
      return ended ? { ...exec, limit: ended } : exec;
    } finally {
      watch?.stop();
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      untrack?.();
      releaseSlot?.();
    }
  }
}
