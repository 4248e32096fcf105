// The KernelBench report (cli/kernelbench.ts prints it): one row per candidate, then fast_0/1/2 and the
// geometric-mean speedup against each baseline, or why a baseline was not measured.
import type { KernelBenchTaskRun } from './kernelbench';
import { fastP, geometricMeanSpeedup, type Baseline, type FastP, type TaskResult } from '../derive/kernelbench';
import { sig } from '../derive/num';

const P_VALUES = [0, 1, 2];

export interface KernelBenchSummary {
  baseline: Baseline;
  /** Why this baseline has no figures (torch.compile missing on the target). */
  unavailable?: string;
  fastP: Array<FastP | null>;
  geometricMean: { value: number; tasks: number } | null;
}

export function summarize(tasks: readonly TaskResult[], baseline: Baseline): KernelBenchSummary {
  const missing = baseline === 'compiled' ? tasks.find((t) => t.compileUnavailable && t.best !== undefined)?.compileUnavailable : undefined;
  return {
    baseline,
    ...(missing ? { unavailable: missing } : {}),
    fastP: P_VALUES.map((p) => fastP(tasks, p, baseline)),
    geometricMean: geometricMeanSpeedup(tasks, baseline),
  };
}

function fastText(f: FastP | null, p: number): string {
  return f ? `fast_${p} ${f.count}/${f.total} (${sig(f.fraction * 100)} %)` : `fast_${p} n/a`;
}

function summaryLine(s: KernelBenchSummary): string {
  const name = s.baseline === 'eager' ? 'vs eager PyTorch' : 'vs torch.compile';
  if (s.unavailable && s.fastP.every((f) => f === null)) return `${name}: not measured — ${s.unavailable}`;
  const mean = s.geometricMean ? `geomean ${sig(s.geometricMean.value)}× over ${s.geometricMean.tasks} task(s)` : 'geomean n/a (no accepted timed candidate)';
  return `${name}: ${s.fastP.map((f, i) => fastText(f, P_VALUES[i])).join(', ')}; ${mean}`;
}

export const REPORT_HEADER = ['task', 'candidate', 'verdict', 'reason', 'vs eager', 'vs compile'];

/** One row per candidate under REPORT_HEADER (a task without candidates, or that failed, gets one). */
export function candidateRows(task: KernelBenchTaskRun): string[][] {
  const r = task.result;
  const name = r.task.split('/').pop() ?? r.task;
  if (r.error) return [[name, '-', 'task error', r.error, '', '']];
  if (r.candidates.length === 0) return [[name, '-', 'no candidate', '', '', '']];
  return r.candidates.map((c, i) => {
    if (c.notJudged) return [name, c.file.split('/').pop() ?? c.file, 'not judged', c.notJudged, '', ''];
    const verdict = c.verdict.accepted ? (i === r.best ? 'accepted (best)' : 'accepted') : `rejected: ${c.verdict.failed.join(', ')}`;
    const why = c.verdict.accepted ? c.probes.filter((p) => !p.gate && !p.passed && !p.skipped).map((p) => `note: ${p.reason}`).join('; ') : (c.probes.find((p) => p.name === c.verdict.failed[0])?.reason ?? '');
    const eager = c.eager ? `${sig(c.eager.speedup)}× (${c.eager.verdict}, p=${sig(c.eager.test.pValue, 2)})` : '';
    const compiled = c.compiled ? `${sig(c.compiled.speedup)}×` : '';
    return [name, c.file.split('/').pop() ?? c.file, verdict, why, eager, compiled];
  });
}

/** What follows the table: the device, each baseline's fast_p and geometric mean, and how they were measured. */
export function summaryLines(tasks: readonly KernelBenchTaskRun[]): string[] {
  const results = tasks.map((t) => t.result);
  const timed = results.find((r) => r.eagerMedianMs !== undefined);
  const lines = [`device: ${deviceOf(tasks)}${timed ? '' : ' (no timing recorded)'}`];
  for (const baseline of ['eager', 'compiled'] as const) lines.push(summaryLine(summarize(results, baseline)));
  const compileNote = results.find((r) => r.compileUnavailable)?.compileUnavailable;
  if (compileNote && !lines.some((l) => l.includes(compileNote))) lines.push(`torch.compile baseline: not measured — ${compileNote}`);
  // A task whose tolerance a trivial output passes (the not-trivial probe, advisory) can make a cheat look fast:
  // fast_p counts its candidates as KernelBench does, and this line says which tasks those are.
  const weak = results.filter((r) => r.candidates.some((c) => c.verdict.weakSpec)).map((r) => r.task.split('/').pop() ?? r.task);
  if (weak.length) lines.push(`weak spec: ${weak.join(', ')} — a trivial output (zeros, a constant, an input) passes the task's tolerance on every seed, so an accepted candidate there proves little; fast_p counts them, as KernelBench does`);
  lines.push('fast_p: share of tasks whose best accepted candidate is more than p× faster (fast_0: accepted at all); vs eager: median of interleaved pairs, every timed call verified; vs torch.compile: compiled over eager, timed interleaved in the reference\'s process, times the paired speedup over eager');
  return lines;
}

export function deviceOf(tasks: readonly KernelBenchTaskRun[]): string {
  const start = tasks.map((t) => t.run?.reference.start).find((s) => s !== undefined);
  const torch = tasks.map((t) => t.run?.harness?.torch).find((v) => v !== undefined);
  return start ? `${start.device.name} (${start.device.type}), torch ${torch ?? '?'}, timing ${start.timing.method}` : 'unknown (no task ran)';
}

