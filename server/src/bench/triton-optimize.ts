// The Triton gate as the optimize loop's evaluator (optimize/evaluator.ts): the baseline is benchmarked once for the
// loop's facts (its autotune pick kept for every attempt), then the candidates (each source written to a scratch
// file, each launch checked against the spec alone) are compared with the baseline by the Triton gate
// (bench/triton.ts), those that arrive together in one gate process (gate-batch.ts), each recorded on its own; the
// verdicts are handed over in the loop's terms. A candidate that was checked but not timed is not a gain: it comes
// back rejected at the `run` stage, saying so.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TritonConfig } from '../benchspec/model';
import type { CandidateResult } from '../derive/kernelbench';
import type { ReportEvent } from '../harness/python/protocol';
import type { BaselineFacts, CandidateEvaluator, CandidateOutcome, EvaluationRequest, PreparedOptimization, RejectStage } from '../optimize/evaluator';
import { createScratch } from '../targets/scratch';
import { JobError, prepareSpec } from './job-prepare';
import { batchedEvaluate, withRetried, type BatchRunner } from './gate-batch';
import { autotunePickOf, autotunePinOf, runTritonJob, type TritonCandidate, type TritonJobOptions } from './triton';

function stageOf(c: CandidateResult): RejectStage {
  if (c.verdict.failed.includes('builds')) return 'compile';
  if (c.verdict.failed.includes('runs')) return 'run';
  return 'probes';
}

/**
 * One compared candidate's verdict, in the loop's terms; `evidence`: its run's folder (triton.json); `report`: what
 * its kernel said of itself (an autotuned one's pick, for the search to go on from).
 */
export function tritonOutcomeOf(c: CandidateResult, evidence: string, report?: ReportEvent): CandidateOutcome {
  const failedProbes = c.probes.filter((p) => p.gate && !p.passed).map((p) => ({ name: p.name, reason: p.reason }));
  if (!c.verdict.accepted) return { verdict: 'rejected', stage: stageOf(c), reasons: [c.verdict.summary], failedProbes, diagnostics: [], evidence };
  if (!c.eager) return { verdict: 'rejected', stage: 'run', reasons: ['checked but not timed (no timed pairs ran): no speed can be claimed'], failedProbes: [], diagnostics: [], evidence };
  const e = c.eager;
  return {
    verdict: 'accepted',
    timing: { status: e.verdict, baselineMs: e.baselineMedianMs, candidateMs: e.candidateMedianMs, speedup: e.speedup, ci: { low: e.speedupCI.low, high: e.speedupCI.high, confidence: e.speedupCI.confidence }, pValue: e.test.pValue },
    warnings: c.probes.filter((p) => !p.gate && !p.passed && !p.skipped).map((p) => p.reason),
    evidence,
    ...withPick(autotunePickOf(report)),
  };
}

const withPick = (pick: TritonConfig | undefined): { autotunePick?: TritonConfig } => (pick ? { autotunePick: pick } : {});

export async function prepareTritonOptimization(options: Omit<TritonJobOptions, 'candidates' | 'dryRun'>): Promise<PreparedOptimization> {
  const prepared = await prepareSpec(options);
  const bench = await runTritonJob({ ...options, candidates: [] });
  if (bench.kind !== 'triton') throw new JobError('run', 'the Triton baseline was not run');
  const start = bench.run.reference.start;
  const timeMs = bench.result.eagerMedianMs;
  if (timeMs === undefined) throw new JobError('run', `the Triton baseline of ${prepared.kernel.qualifiedName} was checked but not timed (no timed calls): nothing to optimize against; give --pairs and --iters`);
  const baseline: BaselineFacts = { timeMs, gpu: { name: start?.device.name ?? 'unknown', ...(start?.device.computeCapability ? { computeCapability: start.device.computeCapability } : {}) }, ...withPick(autotunePickOf(bench.run.reference.report)) };
  // The baseline's autotuner ran once, above: every attempt times the baseline with that pick.
  const modelPin = autotunePinOf(bench.run.reference.report);
  const scratch = await createScratch('triton-candidates');
  const { onProgress: _progress, ...quiet } = options;
  const candidateOf = async (request: EvaluationRequest): Promise<TritonCandidate> => {
    const file = join(scratch.dir, `${request.id}.py`);
    await writeFile(file, request.source);
    return { file, ...(request.launch ? { launch: request.launch, launchOrigin: `attempt ${request.id}` } : {}) };
  };
  /** A launch or kernel the spec cannot take is the candidate's mistake, told back to it (checked alone, before the batch runs). */
  const launchProblem = async (candidate: TritonCandidate, signal: AbortSignal): Promise<CandidateOutcome | undefined> => {
    try {
      await runTritonJob({ ...quiet, signal, candidates: [candidate], dryRun: true });
      return undefined;
    } catch (error) {
      if (error instanceof JobError && (error.kind === 'spec' || error.kind === 'candidate') && !signal.aborted) return { verdict: 'rejected', stage: 'launch', reasons: [error.message], failedProbes: [], diagnostics: [] };
      throw error;
    }
  };
  const evaluateBatch: BatchRunner = async (requests, signal) => {
    const candidates = await Promise.all(requests.map(candidateOf));
    const outcomes = await Promise.all(candidates.map((c) => launchProblem(c, signal)));
    const runnable = requests.flatMap((_, i) => (outcomes[i] ? [] : [i]));
    if (!runnable.length) return outcomes as CandidateOutcome[];
    const result = await runTritonJob({ ...options, ...(modelPin ? { modelPin } : {}), signal, candidates: runnable.map((i) => candidates[i]), recordEach: true });
    if (result.kind !== 'triton' || result.result.candidates.length !== runnable.length) throw new JobError('run', `the Triton gate gave no verdict for attempts ${requests.map((r) => r.id).join(', ')}`);
    runnable.forEach((i, k) => {
      if (!result.run.candidates[k]?.notRun) outcomes[i] = tritonOutcomeOf(result.result.candidates[k], result.candidateRunDirs?.[k] ?? result.runDir, result.run.candidates[k]?.report);
    });
    return withRetried(requests, outcomes, signal, evaluateBatch);
  };
  const evaluator: CandidateEvaluator = { baseline, evaluate: batchedEvaluate(evaluateBatch) };
  return { problem: { file: prepared.file, source: prepared.text, kernel: prepared.kernel, spec: prepared.spec, baseline }, evaluator, close: () => scratch.remove() };
}
