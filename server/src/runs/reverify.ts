// Re-running the correctness probes of a recorded run from the dumps kept in its folder: the probes, too, are
// re-derivable when the harness's --out folders were placed inside the run folder (see checkDir).

import { isAbsolute, join } from 'node:path';
import { timedProbe } from '../bench/timed-probe';
import { verdictOf, verify } from '../bench/verify';
import type { CheckRun, DumpReader, VerifyResult } from '../bench/verify';
import type { RecordedCheck, RunRecord } from './record';

/** Where a check's dumps should go inside a run folder, so the record can re-verify later. */
export function checkDir(runFolder: string, side: 'baseline' | 'candidate' | 'candidate-repeat', seed: number): string {
  return join(runFolder, 'checks', side, `seed-${seed}`);
}

function resolve(runFolder: string, c: RecordedCheck): CheckRun {
  return { report: c.report, dir: isAbsolute(c.dir) ? c.dir : join(runFolder, c.dir) };
}

export async function reverify(record: RunRecord, runFolder: string, readDump?: DumpReader): Promise<VerifyResult> {
  const checks = record.checks;
  if (!checks) throw new Error(`run record ${record.id} has no check reports to re-verify`);
  const result = await verify({
    spec: record.spec,
    sizes: record.sizes,
    baseline: checks.baseline.map((c) => resolve(runFolder, c)),
    candidate: checks.candidate.map((c) => resolve(runFolder, c)),
    ...(checks.candidateRepeat ? { candidateRepeat: resolve(runFolder, checks.candidateRepeat) } : {}),
    ...(readDump ? { readDump } : {}),
  });
  if (!checks.timed) return result;
  const probes = [...result.probes, await timedProbe(record.spec, resolve(runFolder, checks.timed.baseline), resolve(runFolder, checks.timed.candidate))];
  return { ...result, probes, verdict: verdictOf(probes) };
}
