// A candidate that crashes on the GPU (an illegal address, a trap, a launch it cannot make), hangs, takes its
// process down, or hits a sandbox limit (a fork storm, an output flood) is a rejected candidate (the `runs` probe),
// not a failed job. Failures that are not the
// candidate's doing — no device, an allocation the spec asks for, a cancelled job — stay errors.

import { HarnessRunError } from '../harness/run';
import type { CrashEvidence } from '../derive/probes';

/** Runtime stages where a failure follows from what the kernel did (a fault is sticky: the next copy fails too). */
const KERNEL_STAGES = new Set(['launch', 'sync', 'copy']);

function harnessError(error: unknown): HarnessRunError | undefined {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof HarnessRunError) return e;
  return undefined;
}

/** What the record keeps of a candidate run that ended in `error`, or undefined when the candidate is not to blame. */
export function crashEvidence(error: unknown): CrashEvidence | undefined {
  const h = harnessError(error);
  if (!h) return undefined;
  const blame = h.kind === 'timeout' || h.kind === 'no-report' || h.kind === 'sandbox-limit' || (h.kind === 'report' && KERNEL_STAGES.has(h.stage ?? ''));
  if (!blame) return undefined;
  return { kind: h.kind as CrashEvidence['kind'], ...(h.stage ? { stage: h.stage } : {}), ...(h.cudaError ? { cudaError: h.cudaError } : {}), message: h.message };
}
