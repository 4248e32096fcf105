// The real gate behind `kernelpilot optimize` and the editor's optimize jobs (one adapter, each caller on its own
// target): the prepared evaluation (bench/evaluation.ts) of the baseline kernel as the loop's CandidateEvaluator
// (optimize/evaluator.ts), and the problem the loop works on. Only the gate's own verdicts reach the loop: an accepted
// outcome carries the gate's timing comparison, a rejected one the failed probes, reasons and, for a candidate that
// did not compile, the compiler's messages on its file. It also reads those gate records back (`report`).

import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatReportForPrompt } from '../profile/format';
import { probeNcu } from '../profile/ncu-run';
import type { AcceptedOutcome, BaselineFacts, CandidateEvaluator, CandidateProfiler, CandidateOutcome, EvaluationRequest, PreparedOptimization, RejectStage } from '../optimize/evaluator';
import type { RecordedRun } from '../optimize/record';
import type { GateRecordCheck } from '../optimize/report';
import { checkRederivation, readRunRecord, rederive } from '../runs/record';
import { readTritonRecord, rederiveTriton, TRITON_RECORD_FILE } from '../runs/triton-record';
import { tritonOutcomeOf } from './triton-optimize';
import { prepare, type CandidateResult, type Evaluation, type EvaluationOptions } from './evaluation';
import { JobError } from './job-prepare';

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
function stageOf(result: Pick<CandidateResult, 'summary'>): RejectStage {
  const failed = result.summary.gate?.failedProbes ?? [];
  if (failed.includes('structure') || failed.includes('builds')) return 'compile';
  if (failed.includes('runs')) return 'run';
  if (failed.length === 0) return 'roofline';
  return 'probes';
}

/** The gate's verdict on one candidate, in the loop's terms (from a fresh result, or from its record re-derived). */
export function outcomeOf(result: Pick<CandidateResult, 'summary' | 'runDir' | 'diagnostics'>): CandidateOutcome {
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

/** Prepares the gate for a kernel (the caller chose the target: the CLI's machine, the server's, a test's stand-in) and hands the loop its evaluator. */
export async function prepareOptimization(options: EvaluationOptions): Promise<PreparedOptimization> {
  const evaluation = await prepare(options);
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
  const profiler = await profilerFor(evaluation, options);
  return { problem: { file: prepared.file, source: prepared.text, kernel: prepared.kernel, spec: prepared.spec, baseline: facts }, evaluator, ...(profiler ? { profiler } : {}), close: () => evaluation.close() };
}

/** The ncu run for one round's parent is bounded: the loop waits for it. */
const PROFILE_TIMEOUT_MS = 120_000;

/**
 * A profiler for the loop when Nsight Compute runs on the gate's target; else none, said in one progress line. Each
 * profile is one launch, cancellable with the run; its prompt block quotes the flagged lines of that version.
 */
async function profilerFor(evaluation: Evaluation, options: EvaluationOptions): Promise<CandidateProfiler | undefined> {
  const blocked = await probeNcu(options.target, 'ncu', options.signal);
  if ('status' in blocked) {
    options.onProgress?.(`profile: rounds are not profiled (${blocked.message.split(':')[0]})`);
    return undefined;
  }
  return {
    async profile(candidate, signal) {
      const report = await evaluation.profile(candidate ? { ...(candidate.source !== undefined ? { source: candidate.source } : {}), ...(candidate.launch ? { launch: candidate.launch } : {}), ...(candidate.extraFlags ? { extraFlags: candidate.extraFlags } : {}) } : undefined, { signal, timeoutMs: PROFILE_TIMEOUT_MS });
      if (report.live.status !== 'measured') return undefined;
      return formatReportForPrompt(report, candidate?.source ?? evaluation.prepared.text);
    },
  };
}

/**
 * Where an attempt's gate record is: the folder it names, or, when the run was moved or copied (a GPU machine's
 * output brought home), the folder of that name beside the optimize run's own.
 */
function gateRecordDir(evidence: string, optimizeRunDir: string): string {
  const beside = join(dirname(optimizeRunDir), basename(evidence));
  return existsSync(evidence) || !existsSync(beside) ? evidence : beside;
}

/** Reads one gate record, re-derives it, and says what the gate's outcome was by the record alone. */
async function rederiveGateRecord(dir: string): Promise<GateRecordCheck> {
  try {
    if (existsSync(join(dir, TRITON_RECORD_FILE))) {
      // A Triton attempt's record: its one candidate's verdict, derived again from the gate's events.
      const record = await readTritonRecord(dir);
      const candidate = rederiveTriton(record).candidates[0];
      if (!candidate) return { problem: `${join(dir, TRITON_RECORD_FILE)} holds no candidate` };
      return { outcome: tritonOutcomeOf(candidate, dir, record.run.candidates[0]?.report), differences: [] };
    }
    const record = await readRunRecord(dir);
    return { outcome: outcomeOf({ summary: rederive(record), runDir: dir }), differences: checkRederivation(record).differences };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** The gate records an optimize run's attempts reference, each read and re-derived, keyed as the attempts name them. */
export async function gateRecordsOf(run: RecordedRun, optimizeRunDir: string): Promise<Map<string, GateRecordCheck>> {
  const referenced = [...new Set(run.attempts.flatMap((a) => (a.outcome?.evidence ? [a.outcome.evidence] : [])))];
  return new Map(await Promise.all(referenced.map(async (evidence) => [evidence, await rederiveGateRecord(gateRecordDir(evidence, optimizeRunDir))] as const)));
}
