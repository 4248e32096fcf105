// What the loop needs from the gate, and nothing more: a prepared evaluation of one baseline kernel that verifies
// and times candidates. The real gate (bench/, a prepared `Evaluation`) sits behind a thin adapter; tests use a
// fake. A candidate counts only through an `accepted` outcome: the loop never computes a speedup of its own.

import type { LaunchConfig, TritonConfig } from '../benchspec/model';
import type { CompilerDiagnostic } from '../check/types';
import type { OptimizeProblem } from './proposer';
import type { StrategyId } from './strategies';

/** A candidate as the gate builds it: a whole file, the baseline's with the kernel (and what it needs) rewritten. */
export interface CandidateInput {
  source: string;
  /** Its own launch, checked against the spec as `--candidate-launch` is; absent: the spec's. */
  launch?: LaunchConfig;
  /** nvcc options from the allow-list (flags.ts), one argv token each. */
  extraFlags?: string[];
}

export interface EvaluationRequest extends CandidateInput {
  /** The attempt id (`r01-c02-a0`): the gate names its own record after it. */
  id: string;
  strategy: StrategyId;
}

export interface ProbeFailure {
  name: string;
  reason: string;
}

export type RejectStage = 'compile' | 'launch' | 'probes' | 'roofline' | 'run';

export interface RejectedOutcome {
  verdict: 'rejected';
  stage: RejectStage;
  /** Why, in words the model can act on. */
  reasons: string[];
  failedProbes: ProbeFailure[];
  /** Compiler messages located in the candidate's file (stage 'compile'). */
  diagnostics: CompilerDiagnostic[];
  /** The gate's own record of this evaluation, when it wrote one. */
  evidence?: string;
}

export interface AcceptedTiming {
  /** 'faster' only when the gate's significance test and minimum effect say so. */
  status: 'faster' | 'slower' | 'no-significant-difference';
  baselineMs: number;
  candidateMs: number;
  /** Baseline median / candidate median. */
  speedup: number;
  ci: { low: number; high: number; confidence: number };
  pValue: number;
}

export interface AcceptedOutcome {
  verdict: 'accepted';
  timing: AcceptedTiming;
  /** Achieved fraction of the roofline ceiling (0..1) at the candidate's time. */
  fractionOfRoofline?: number;
  warnings: string[];
  evidence?: string;
  /** An autotuned Triton kernel: the config its autotuner picked (what the search varies from this candidate). */
  autotunePick?: TritonConfig;
}

export type CandidateOutcome = RejectedOutcome | AcceptedOutcome;

export type Bound = 'memory' | 'compute' | 'latency';

/** What the gate measured of the baseline when it was prepared; prompts and stop rules read it. */
export interface BaselineFacts {
  timeMs: number;
  fractionOfRoofline?: number;
  bound?: Bound;
  gpu: { name: string; computeCapability?: string; copyBytesPerSecond?: number; fp32FlopsPerSecond?: number };
  /** An autotuned Triton kernel: the config the baseline's autotuner picked. */
  autotunePick?: TritonConfig;
}

export interface CandidateEvaluator {
  readonly baseline: BaselineFacts;
  /** Compiles may run in parallel; the evaluator serializes what runs on the GPU. Rejects only on cancel or a broken gate. */
  evaluate(request: EvaluationRequest, signal: AbortSignal): Promise<CandidateOutcome>;
}

/**
 * Profiles a version on the gate's GPU (bench/evaluation.ts `profile`): the prompt block of its report
 * (profile/format.ts), or undefined when it gave no live figures. Given to the loop only where ncu runs.
 */
export interface CandidateProfiler {
  /** `undefined` profiles the baseline. */
  profile(candidate: CandidateInput | undefined, signal: AbortSignal): Promise<string | undefined>;
}

/** The gate prepared for one kernel (bench/optimize-gate.ts): what the loop works on, its evaluator, and the end of it. */
export interface PreparedOptimization {
  problem: OptimizeProblem;
  evaluator: CandidateEvaluator;
  /** Present when Nsight Compute can run on the gate's target. */
  profiler?: CandidateProfiler;
  close(): Promise<void>;
}

/** A verified gain: accepted and significantly faster than the baseline. */
export function isVerifiedGain(outcome: CandidateOutcome | undefined): outcome is AcceptedOutcome {
  return outcome?.verdict === 'accepted' && outcome.timing.status === 'faster';
}

/** One line for histories, progress and reports. */
export function outcomeLine(outcome: CandidateOutcome): string {
  if (outcome.verdict === 'accepted') {
    const t = outcome.timing;
    const x = `${t.speedup.toFixed(2)}×`;
    const what = t.status === 'faster' ? `${x} faster` : t.status === 'slower' ? `${x} (slower)` : `no significant difference (${x})`;
    return `accepted: ${what}, ${t.candidateMs.toPrecision(3)} ms${outcome.fractionOfRoofline !== undefined ? `, ${(outcome.fractionOfRoofline * 100).toFixed(0)} % of roofline` : ''}`;
  }
  const probes = outcome.failedProbes.map((p) => p.name).join(', ');
  return `rejected at ${outcome.stage}${probes ? ` (${probes})` : ''}: ${outcome.reasons[0] ?? 'no reason given'}`;
}
