// The editor's way back to an optimize run after a restart: the newest run of a kernel in a file, and the baseline
// source it started from (the record keeps its hash and every candidate's diff against it, not the text itself).

import { applyPatch, parsePatch, reversePatch } from 'diff';
import type { RecordedRun } from '../optimize/record';
import { sha256Text } from './hash';
import { openOptimizeRun } from './optimize-store';
import { kernelRunIds, runDir } from './record';

/** The newest optimize run of `kernel` in `file`, or undefined; folders that are not optimize runs are skipped. */
export async function latestOptimizeRun(workspace: string, kernel: string, file: string): Promise<{ run: RecordedRun; dir: string } | undefined> {
  for (const id of await kernelRunIds(workspace, kernel)) {
    const dir = runDir(workspace, id);
    const opened = await openOptimizeRun(dir).catch(() => undefined);
    if (opened && opened.run.header.kernel === kernel && opened.run.header.file === file) return { run: opened.run, dir };
  }
  return undefined;
}

/**
 * The file as the run started: `current` when it still hashes the same, else recovered from a candidate by reversing
 * its diff (checked against the recorded hash); undefined when neither gives it.
 */
export function baselineSource(run: RecordedRun, current: string | undefined): string | undefined {
  const wanted = run.header.baselineSha256;
  if (current !== undefined && sha256Text(current) === wanted) return current;
  for (const attempt of run.attempts) {
    const candidate = attempt.candidate;
    if (!candidate) continue;
    const [patch] = parsePatch(candidate.diff);
    if (!patch) continue;
    const text = applyPatch(candidate.source, reversePatch(patch));
    if (text !== false && sha256Text(text) === wanted) return text;
  }
  return undefined;
}
