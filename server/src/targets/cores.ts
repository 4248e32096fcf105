// The cores of another machine (an SSH host, a Slurm allocation's node): how many candidates may compile there at
// once. `nproc` answers within a Slurm step or a cgroup with the CPUs really granted, not the machine's.
import type { Target } from './target';

const known = new WeakMap<Target, Promise<number>>();

/** `nproc` on the target, asked once per target (1 when it cannot say; a failure is asked again next time). */
export function coresOf(target: Target, signal?: AbortSignal): Promise<number> {
  let cores = known.get(target);
  if (!cores) {
    cores = target.exec('nproc', [], { timeoutMs: 60_000, ...(signal ? { signal } : {}) }).then((r) => {
      const n = Number(r.stdout.trim());
      if (r.exitCode === 0 && Number.isInteger(n) && n > 0) return n;
      known.delete(target);
      return 1;
    });
    cores.catch(() => known.delete(target));
    known.set(target, cores);
  }
  return cores;
}
