// Nothing outlives the process that started it. Every child runs in its own process group (local.ts), tracked
// here while it runs; when this process exits — by a signal, by stdin closing, by its editor going away, by
// `exit` — its `exit` listener kills each tracked group. Signals are turned into process.exit so that listener
// (and every other one, such as scratch-folder removal) runs: Node's default for SIGTERM skips them all.

const running = new Set<number>();
const terminationHooks = new Set<() => void>();
let exitListener = false;
let signalHandlers = false;

const exitCodes: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Kills a child's whole process group (nvcc starts cicc and ptxas; a harness may fork); gone already is fine. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Tracks a running child's process group until the returned function is called (when it has exited). */
export function trackChild(pid: number): () => void {
  endChildrenOnExit();
  running.add(pid);
  return () => running.delete(pid);
}

/** How many children are running now (for tests and the compile limit's messages). */
export function runningChildren(): number {
  return running.size;
}

/** Installs the `exit` listener that kills every tracked child's group (once per process). */
export function endChildrenOnExit(): void {
  if (exitListener) return;
  exitListener = true;
  process.on('exit', () => {
    for (const pid of running) killGroup(pid);
  });
}

/** How long a job that was asked to stop by Ctrl-C may take to end by itself (its message, its record). */
const INTERRUPT_GRACE_MS = 5000;

/**
 * SIGINT, SIGTERM and SIGHUP end the process through process.exit (exit code 128 + signal number), after the
 * termination hooks (a CLI job's cancel, which kills its process trees at once) ran. Ctrl-C during such a job
 * lets it end by itself for a few seconds first; a second Ctrl-C, or the end of that grace, exits at once.
 * Installed once per process by the entry points.
 */
export function exitOnTermination(): void {
  if (signalHandlers) return;
  signalHandlers = true;
  let interrupted = false;
  for (const [signal, code] of Object.entries(exitCodes)) {
    process.on(signal, () => {
      const hooks = [...terminationHooks];
      for (const hook of hooks) {
        try {
          hook();
        } catch {
          // Ending matters more than a hook's failure.
        }
      }
      if (signal === 'SIGINT' && hooks.length > 0 && !interrupted) {
        interrupted = true;
        setTimeout(() => process.exit(code), INTERRUPT_GRACE_MS).unref();
        return;
      }
      process.exit(code);
    });
  }
}

/** Runs `hook` when a signal ends the process, until the returned function removes it. */
export function onTermination(hook: () => void): () => void {
  terminationHooks.add(hook);
  return () => terminationHooks.delete(hook);
}
