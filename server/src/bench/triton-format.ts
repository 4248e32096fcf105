// What a Triton bench or compare shows: the CLI's lines, the editor's lens and hover. Every figure comes from the
// derived TaskResult (derive/kernelbench.ts) of the recorded events; a rejected candidate shows no time of its own.
import { evaluate } from '../benchspec/expr';
import type { CandidateResult, TaskResult } from '../derive/kernelbench';
import { sig } from '../derive/num';
import type { KernelBenchRun } from '../harness/python/run';
import type { BenchSpec } from '../benchspec/model';

export interface TritonShown {
  spec: BenchSpec;
  result: TaskResult;
  run: KernelBenchRun;
}

function bytesPerSecond(spec: BenchSpec, ms: number | undefined): number | undefined {
  if (ms === undefined || !spec.roofline?.bytes) return undefined;
  try {
    return evaluate(spec.roofline.bytes, spec.sizes) / (ms / 1000);
  } catch {
    return undefined;
  }
}

function rate(bps: number | undefined): string {
  if (bps === undefined) return '';
  return bps >= 1e12 ? ` · ${sig(bps / 1e12)} TB/s` : ` · ${sig(bps / 1e9)} GB/s`;
}

function device(run: KernelBenchRun): string {
  return run.reference.start?.device.name ?? 'unknown device';
}

/** The baseline alone: `0.236 ms · 3.41 TB/s · NVIDIA H200`, or what the run could say without timing. */
export function tritonLens(shown: TritonShown): string {
  const ms = shown.result.eagerMedianMs;
  if (ms === undefined) return `checked, not timed (${device(shown.run)})`;
  return `${sig(ms)} ms${rate(bytesPerSecond(shown.spec, ms))} · ${device(shown.run)}`;
}

function method(run: KernelBenchRun): string {
  const baselines = run.reference.baselines;
  if (!baselines) return 'no timing (checks only)';
  if (baselines.method === 'cpu-wall') return "the host clock on a CPU (Triton's interpreter: not a kernel time)";
  return `CUDA events around each launch, the host's part covered by a GPU sleep (kernel-only), L2 flushed (${Math.round(baselines.l2FlushBytes / 2 ** 20)} MiB) before each`;
}

function candidateLine(c: CandidateResult, best: boolean): string {
  const name = c.file.split('/').pop() ?? c.file;
  if (c.notJudged) return `${name}: not judged — ${c.notJudged}`;
  if (!c.verdict.accepted) {
    const first = c.probes.find((p) => p.name === c.verdict.failed[0]);
    return `${name}: rejected — ${c.verdict.failed.join(', ')}${first ? `: ${first.reason}` : ''}`;
  }
  if (!c.eager) return `${name}: accepted (checks only, not timed)`;
  const e = c.eager;
  const ci = `95% CI ${sig(e.speedupCI.low)}–${sig(e.speedupCI.high)}×`;
  return `${name}: accepted${best ? ' (best)' : ''} · ${sig(e.speedup)}× (${e.verdict}; ${ci}, p ${sig(e.test.pValue, 2)}, ${e.pairs} pairs) · ${sig(e.candidateMedianMs)} ms vs ${sig(e.baselineMedianMs)} ms`;
}

/** The CLI's report: the baseline, the autotuner's picks, then each candidate. */
export function tritonReport(shown: TritonShown, launches: readonly string[] = []): string {
  const { result, run, spec } = shown;
  const lines = [`${result.task}: ${tritonLens(shown)}`, `timing: ${method(run)}`];
  const pick = run.reference.report?.autotune;
  if (pick) lines.push(run.reference.report?.pinned ? `autotune: the baseline ran with ${pick} (${run.reference.report.pinned})` : `autotune: the baseline's autotuner picked ${pick}`);
  if (spec.launch.constexprs) lines.push(`constexprs: ${Object.entries(spec.launch.constexprs).map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  result.candidates.forEach((c, i) => {
    lines.push(candidateLine(c, i === result.best));
    if (launches[i]) lines.push(`  launched with ${launches[i]}`);
    const cp = run.candidates[i]?.report?.autotune;
    if (cp) lines.push(`  autotune: picked ${cp}`);
    const ref = run.candidates[i]?.referenceReport;
    if (ref?.autotune && ref.autotune !== pick) lines.push(`  autotune: the baseline ran with ${ref.autotune} beside it`);
    for (const note of c.probes.filter((p) => !p.gate && !p.passed && !p.skipped)) lines.push(`  note: ${note.reason}`);
  });
  return lines.join('\n');
}

/** The hover section of a Triton benchmark. */
export function tritonHover(shown: TritonShown): string {
  const lines = [`**Benchmark** ${tritonLens(shown)}`, '', `timing: ${method(shown.run)}`];
  const baselines = shown.run.reference.baselines;
  if (baselines) lines.push(`${baselines.eager.kernelMs.length} timed calls after ${baselines.warmup} warm-up; torch ${shown.run.harness?.torch ?? '?'}`);
  const pick = shown.run.reference.report?.autotune;
  if (pick) lines.push(`autotune picked: \`${pick}\``);
  return lines.join('\n\n');
}
