// A global limit on concurrent compiles in this process: an editor that saves twenty files, or a job that builds
// baseline and candidate while the static check runs, queues its nvcc runs beyond the limit instead of starting
// twenty compilers on a laptop. Default: one per CPU core; KERNELPILOT_MAX_COMPILES overrides it.
import { availableParallelism } from 'node:os';

function configuredLimit(): number {
  const fromEnv = Number(process.env.KERNELPILOT_MAX_COMPILES);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.max(1, availableParallelism());
}

let active = 0;
const waiting: (() => void)[] = [];

/** Waits for a free compile slot; the returned function frees it. Undefined when `signal` fired while waiting. */
export async function acquireCompileSlot(signal?: AbortSignal): Promise<(() => void) | undefined> {
  if (signal?.aborted) return undefined;
  if (active >= configuredLimit()) {
    const granted = await new Promise<boolean>((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', cancel);
        resolve(true);
      };
      const cancel = () => {
        const at = waiting.indexOf(grant);
        if (at !== -1) waiting.splice(at, 1);
        resolve(false);
      };
      waiting.push(grant);
      signal?.addEventListener('abort', cancel, { once: true });
    });
    if (!granted) return undefined;
  } else {
    active++;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else active--;
  };
}

/** Compiles running and waiting now. */
export function compileSlotUse(): { active: number; waiting: number; limit: number } {
  return { active, waiting: waiting.length, limit: configuredLimit() };
}
