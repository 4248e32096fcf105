// KernelBench results, derived from what the Python gate recorded (harness/python/): each candidate's probes (the
// CUDA gate's, through probesOf, over a spec made of the reference's inputs and outputs, with the aliasing probe
// judged on storages and previous calls' outputs), its speedups over the eager and torch.compile baselines, and a
// task set's fast_p and geometric-mean speedup. Pure: the CLI derives a run with it, and again from a recorded one.
//
// fast_p (KernelBench): the share of tasks whose candidate is correct AND more than p times faster than the
// baseline; fast_0 is the share that is correct. Here "correct" is the gate's verdict (KernelBench's tolerance plus
// our probes), and a task's candidate is its fastest accepted one. The geometric mean is over the tasks with an
// accepted candidate. Against eager PyTorch the speedup is the median ratio of interleaved pairs (with its
// signed-rank test). torch.compile(Model) is built once per task, in the reference's process, and timed there
// interleaved with eager Model; against it the speedup is chained through eager — compiled over eager from that
// series, times the candidate's paired speedup over eager — so each ratio comes from one interleaved series and drift
// between the series (a small task's calls are mostly host work, whose time follows the host's state) stays out of
// it. No significance is claimed for it.

import type { BenchSpec, Dtype, SpecArg, Tolerance } from '../benchspec/model';
import { DTYPES } from '../benchspec/defaults';
import type { CandidateRunEvidence, KernelBenchRun, ReferenceEvidence } from '../harness/python/run';
import type { KernelBenchCheckEvent } from '../harness/python/protocol';
import { compareTimings, type TimingComparison } from './compare';
import { probesOf, verdictOf, type CandidateEvidence, type CrashEvidence, type Probe, type VerifyVerdict } from './probes';
import { median } from './stats';

export interface KernelBenchPlan {
  seeds: number[];
  tolerance: Partial<Record<Dtype, Tolerance>>;
}

/** The reference's inputs and outputs as a bench spec: what probesOf reads (roles, dtypes, shapes, tolerances). */
export function referenceSpec(reference: ReferenceEvidence, plan: KernelBenchPlan): BenchSpec {
  const args: SpecArg[] = [];
  const described = reference.reference;
  for (const [role, list] of [['input', described?.inputs ?? []], ['output', described?.outputs ?? []]] as const) {
    for (const t of list) {
      if (t.shape === undefined || !DTYPES.includes(t.dtype as Dtype)) continue;
      args.push({ name: t.name, role, dtype: t.dtype as Dtype, shape: t.shape.length ? t.shape.map(String) : ['1'] });
    }
  }
  return { version: 1, kernel: 'Model', sizes: {}, args, launch: { grid: ['1'], block: ['1'] }, tolerance: plan.tolerance };
}

/** No returned output may share storage with an input, another output, or an output of the previous call. */
export function storageAliasingProbe(checks: readonly KernelBenchCheckEvent[], outputNames: readonly string[]): Probe {
  const overlaps: Array<{ seed: number; a: string; b: string }> = [];
  for (const check of checks) {
    const spans = Object.entries(check.pointers).flatMap(([name, text]) => {
      const bytes = check.storageBytes[name];
      if (!/^0x[0-9a-f]+$/i.test(text) || !(bytes > 0)) return [];
      const start = BigInt(text);
      return [{ name, start, end: start + BigInt(bytes), output: outputNames.includes(name) }];
    });
    for (const missing of outputNames.filter((n) => !spans.some((s) => s.name === n))) {
      if (check.outputs.some((o) => o.name === missing && !o.mismatch)) return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${check.seed}: no storage reported for '${missing}', so aliasing cannot be ruled out` };
    }
    for (const a of spans.filter((s) => s.output)) {
      for (const b of spans) {
        if (a === b || (b.output && b.name < a.name)) continue;
        if (a.start < b.end && b.start < a.end) overlaps.push({ seed: check.seed, a: a.name, b: b.name });
      }
    }
  }
  const details = { overlaps };
  const first = overlaps[0];
  if (!first) return { name: 'no-aliasing', passed: true, gate: true, reason: `no returned output shares storage with an input, another output or a previous call's output on ${checks.length} check(s)`, details };
  const what = first.b.startsWith('previous-call:')
    ? `'${first.a}' is the tensor the previous call returned (${first.b.slice('previous-call:'.length)}): the candidate keeps and reuses its output, so earlier results change under the caller`
    : `'${first.a}' shares storage with '${first.b}' (an output aliasing an input can fake a result)`;
  return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${first.seed}: ${what}`, details };
}

/** The gate's own steps ran out of GPU memory (the candidate's calls report theirs as stage `forward`). */
/** Why the gate could not judge a candidate: its own steps ran out of GPU memory, or the candidate never ran. */
function notJudged(candidate: CandidateRunEvidence): string | undefined {
  return candidate.notRun ?? (candidate.error?.stage === 'memory' ? candidate.error.message : undefined);
}

function crashOf(candidate: CandidateRunEvidence): CrashEvidence | undefined {
  const error = candidate.error;
  if (error && error.stage !== 'load' && error.stage !== 'memory') return { kind: error.stage === 'timeout' ? 'timeout' : 'report', stage: error.stage, message: `${error.message}${error.doing ? ` (while ${error.doing})` : ''}` };
  if (!error && !candidate.ended) return { kind: 'no-report', message: 'its process ended without a report (a crash in native code, or it was killed)' };
  return undefined;
}

export interface CandidateVerdict {
  probes: Probe[];
  verdict: VerifyVerdict;
}

export function candidateVerdict(reference: ReferenceEvidence, candidate: CandidateRunEvidence, plan: KernelBenchPlan): CandidateVerdict {
  const spec = referenceSpec(reference, plan);
  const evidence: CandidateEvidence = {
    ...(candidate.error?.stage === 'load' ? { buildErrors: [candidate.error.message] } : {}),
    plan: { seeds: plan.seeds, sweep: [], sizes: {} },
    checks: candidate.checks,
    ...(candidate.repeat ? { repeat: candidate.repeat } : {}),
    ...(candidate.timing ? { timing: candidate.timing } : {}),
    state: [],
  };
  const crash = crashOf(candidate);
  if (crash) evidence.crash = crash;
  const outputs = (reference.reference?.outputs ?? []).map((o) => o.name);
  const probes = probesOf(spec, evidence, { checks: reference.checks }).map((p) => (p.name === 'no-aliasing' && !p.skipped ? storageAliasingProbe(candidate.checks, outputs) : p));
  return { probes, verdict: verdictOf(probes) };
}

export interface CandidateResult extends CandidateVerdict {
  file: string;
  /** Why the gate could not judge it (its own steps ran out of GPU memory): not accepted, and not a rejection. */
  notJudged?: string;
  /** Its process, from fork to end (the task's torch import and reference are not in it). */
  seconds?: number;
  /** Paired against eager Model; withheld for a rejected candidate. */
  eager?: TimingComparison;
  /**
   * Against torch.compile(Model): `compiledOverEager` (medians of the reference's interleaved baseline series) times
   * the paired speedup over eager; `baselineMedianMs` is the compiled model's median as timed. Withheld for a
   * rejected candidate.
   */
  compiled?: { speedup: number; baselineMedianMs: number; candidateMedianMs: number; compiledOverEager: number };
}

export interface TaskResult {
  task: string;
  /** The task itself could not run (its file, get_inputs, a size that does not fit): nothing was judged. */
  error?: string;
  candidates: CandidateResult[];
  /** The fastest accepted candidate against eager PyTorch (index into candidates). */
  best?: number;
  eagerMedianMs?: number;
  compiledMedianMs?: number;
  compileUnavailable?: string;
}

export function taskResult(task: string, run: KernelBenchRun, plan: KernelBenchPlan): TaskResult {
  const ref = run.reference;
  if (ref.error) return { task, error: `${ref.error.stage}: ${ref.error.message}`, candidates: [] };
  const compiled = ref.baselines?.compiled?.kernelMs;
  const eagerBaseline = ref.baselines?.eager.kernelMs;
  const compiledOverEager = compiled?.length && eagerBaseline?.length ? median(compiled) / median(eagerBaseline) : undefined;
  const candidates = run.candidates.map((candidate): CandidateResult => {
    const file = { file: candidate.file, ...(candidate.seconds !== undefined ? { seconds: candidate.seconds } : {}) };
    const unjudged = notJudged(candidate);
    if (unjudged) return { ...file, notJudged: unjudged, probes: [], verdict: { accepted: false, weakSpec: false, failed: [], summary: `not judged: ${unjudged}` } };
    const judged = candidateVerdict(ref, candidate, plan);
    const t = candidate.timing;
    const base = { ...file, ...judged };
    if (!judged.verdict.accepted || !t?.candidate || t.candidate.kernelMs.length === 0) return base;
    const eager = compareTimings(t.baseline.kernelMs, t.candidate.kernelMs);
    const candidateMedianMs = median(t.candidate.kernelMs);
    return {
      ...base,
      eager,
      ...(compiled?.length && compiledOverEager !== undefined ? { compiled: { speedup: compiledOverEager * eager.speedup, baselineMedianMs: median(compiled), candidateMedianMs, compiledOverEager } } : {}),
    };
  });
  let best: number | undefined;
  candidates.forEach((c, i) => {
    if (c.eager && (best === undefined || c.eager.speedup > (candidates[best].eager?.speedup ?? 0))) best = i;
  });
  return {
    task,
    candidates,
    ...(best !== undefined ? { best } : {}),
    ...(ref.baselines?.eager.kernelMs.length ? { eagerMedianMs: median(ref.baselines.eager.kernelMs) } : {}),
    ...(compiled?.length ? { compiledMedianMs: median(compiled) } : { compileUnavailable: ref.baselines?.compiledUnavailable ?? 'no baseline timing was recorded' }),
  };
}

export type Baseline = 'eager' | 'compiled';

function speedupOf(task: TaskResult, baseline: Baseline): number | undefined {
  const best = task.best === undefined ? undefined : task.candidates[task.best];
  return baseline === 'eager' ? best?.eager?.speedup : best?.compiled?.speedup;
}

export interface FastP {
  p: number;
  /** Tasks correct and more than p times faster. */
  count: number;
  total: number;
  fraction: number;
}

/**
 * fast_p over a task set. p = 0 counts every task with an accepted candidate (fast_0: correct). Null where the
 * baseline was not measured for some task with an accepted candidate (torch.compile missing on the target): a
 * share over the other tasks would not be the same quantity, and fast_0 against a baseline never run says nothing.
 */
export function fastP(tasks: readonly TaskResult[], p: number, baseline: Baseline): FastP | null {
  let count = 0;
  for (const task of tasks) {
    if (task.best === undefined) continue;
    const speedup = speedupOf(task, baseline);
    if (speedup === undefined) return null;
    if (p === 0 || speedup > p) count++;
  }
  return { p, count, total: tasks.length, fraction: tasks.length ? count / tasks.length : 0 };
}

/** The geometric mean of the best accepted candidates' speedups; null when none has one. */
export function geometricMeanSpeedup(tasks: readonly TaskResult[], baseline: Baseline): { value: number; tasks: number } | null {
  const speedups = tasks.map((t) => speedupOf(t, baseline)).filter((s): s is number => s !== undefined && s > 0);
  if (speedups.length === 0) return null;
  return { value: Math.exp(speedups.reduce((sum, s) => sum + Math.log(s), 0) / speedups.length), tasks: speedups.length };
}
