// The real gate behind `kernelpilot optimize` and the editor's optimize jobs: the prepared evaluation (bench/evaluation.ts) of the baseline kernel
// as the loop's CandidateEvaluator (optimize/evaluator.ts), and the problem the loop works on. Only the gate's own
// verdicts reach the loop: an accepted outcome carries the gate's timing comparison, a rejected one the failed
// probes, reasons and, for a candidate that did not compile, the compiler's messages on its file.

import { prepare, type CandidateResult, type Evaluation } from '../bench/evaluation';
import { JobError } from '../bench/job-prepare';
import type { AcceptedOutcome, BaselineFacts, CandidateEvaluator, CandidateOutcome, EvaluationRequest, PreparedOptimization, RejectStage } from '../optimize/evaluator';
import type { Target } from '../targets/target';

/** Where the gate runs (the CLI's machine, the language server's target, a test's stand-in) and its caches. */
export interface OptimizationTarget {
  target: Target;
  ceilingsPath?: string;
  buildCacheDir?: string;
}

function baselineFacts(evaluation: Evaluation): BaselineFacts {
  const summary = evaluation.baselineSummary();
  const roof = summary.baselineRoofline;
  return {
    timeMs: summary.baseline.median,
    ...(roof ? { fractionOfRoofline: roof.fractionOfPeak, bound: roof.bound } : {}),
    gpu: { name: summary.gpuName, computeCapability: evaluation.gpu.computeCapability, copyBytesPerSecond: evaluation.ceilings.copyBytesPerSecond, fp32FlopsPerSecond: evaluation.ceilings.fp32FlopsPerSecond },
  };
}

/** Where a rejected candidate stopped: it did not compile or was not kernel code, it faulted, it was impossibly fast, or a probe failed. */
function stageOf(result: CandidateResult): RejectStage {
  const failed = result.summary.gate?.failedProbes ?? [];
  if (failed.includes('structure') || failed.includes('builds')) return 'compile';
  if (failed.includes('runs')) return 'run';
  if (failed.length === 0) return 'roofline';
  return 'probes';
}

/** The gate's verdict on one candidate, in the loop's terms. */
export function outcomeOf(result: CandidateResult): CandidateOutcome {
  const s = result.summary;
  const gate = s.gate;
  if (gate?.accepted && s.comparison && (gate.status === 'faster' || gate.status === 'slower' || gate.status === 'no-significant-difference')) {
    const c = s.comparison;
    const outcome: AcceptedOutcome = {
      verdict: 'accepted',
      timing: { status: gate.status, baselineMs: c.baselineMedianMs, candidateMs: c.candidateMedianMs, speedup: c.speedup, ci: { low: c.speedupCI.low, high: c.speedupCI.high, confidence: c.speedupCI.confidence }, pValue: c.test.pValue },
      warnings: [...gate.warnings, ...(s.trust?.notes ?? [])],
      evidence: result.runDir,
    };
    if (s.candidateRoofline) outcome.fractionOfRoofline = s.candidateRoofline.fractionOfPeak;
    return outcome;
  }
  const failedProbes = (s.verification?.probes ?? []).filter((p) => p.gate && !p.passed).map((p) => ({ name: p.name, reason: p.reason }));
  return { verdict: 'rejected', stage: stageOf(result), reasons: gate?.reasons ?? ['not verified'], failedProbes, diagnostics: result.diagnostics ?? [], evidence: result.runDir };
}

/** Prepares the gate for `file`'s kernel and hands the loop its evaluator. */
export async function prepareOptimization(
  request: { file: string; kernel?: string; spec?: string; workspace: string; signal: AbortSignal; onProgress: (line: string) => void },
  options: OptimizationTarget,
): Promise<PreparedOptimization> {
  const evaluation = await prepare({
    file: request.file,
    ...(request.kernel ? { kernel: request.kernel } : {}),
    ...(request.spec ? { specPath: request.spec } : {}),
    workspace: request.workspace,
    target: options.target,
    signal: request.signal,
    onProgress: request.onProgress,
    ...(options.ceilingsPath ? { ceilingsPath: options.ceilingsPath } : {}),
    ...(options.buildCacheDir ? { buildCacheDir: options.buildCacheDir } : {}),
  });
  const facts = baselineFacts(evaluation);
  const evaluator: CandidateEvaluator = {
    baseline: facts,
    async evaluate(candidate: EvaluationRequest, signal: AbortSignal): Promise<CandidateOutcome> {
      try {
        const result = await evaluation.evaluate({ source: candidate.source, ...(candidate.launch ? { launch: candidate.launch, launchOrigin: `attempt ${candidate.id}` } : {}), ...(candidate.extraFlags ? { extraFlags: candidate.extraFlags } : {}), name: candidate.id }, { signal });
        return outcomeOf(result);
      } catch (error) {
        // A launch the spec cannot take is the candidate's mistake, told back to it; anything else is the gate's.
        if (error instanceof JobError && error.kind === 'spec' && !signal.aborted) return { verdict: 'rejected', stage: 'launch', reasons: [error.message], failedProbes: [], diagnostics: [] };
        throw error;
      }
    },
  };
  const { prepared } = evaluation;
  return { problem: { file: prepared.file, source: prepared.text, kernel: prepared.kernel, spec: prepared.spec, baseline: facts }, evaluator, close: () => evaluation.close() };
}
