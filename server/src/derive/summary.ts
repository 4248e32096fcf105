// Every number the editor shows about a benchmark, computed in one place from raw inputs: the engine calls this
// after a run, and runs/record.ts calls it again on a stored record to prove the record re-derives what was shown.

import { compareTimings } from './compare';
import type { CompareOptions, TimingComparison } from './compare';
import { gate } from './verdict';
import type { GateResult } from './verdict';
import { roofline } from './roofline';
import type { Ceilings, RooflineOptions, RooflineResult } from './roofline';
import { summarize } from './stats';
import type { SampleSummary } from './stats';
import type { TimingMethod } from '../harness/protocol';
import type { VerifyResult } from './probes';
import type { TrustReport } from './trust';

export interface SummaryInput {
  kernel: string;
  gpuName: string;
  /** Per-launch times, ms, in launch order; with a candidate the two are interleaved pairs. */
  baselineMs: number[];
  candidateMs?: number[];
  /** Roofline counts at the benchmarked sizes. */
  bytes: number;
  flops?: number;
  /** Without ceilings there is no roofline (and no impossibility check). */
  ceilings?: Ceilings;
  rooflineOptions?: RooflineOptions;
  compareOptions?: CompareOptions;
  /** Confidence of the median CIs. Default 0.95. */
  confidence?: number;
  /** Probes of the candidate, when there is one. */
  verification?: VerifyResult;
  /** How the times were taken (absent in records made before kernel-only timing). */
  method?: TimingMethod;
  /** Per sample, beside the kernel times: host time inside the launch call, and launch to whole-device sync. */
  baselineLaunchMs?: number[];
  baselineWallMs?: number[];
  candidateLaunchMs?: number[];
  candidateWallMs?: number[];
  trust?: TrustReport;
  /**
   * A rejected candidate's times are not results: leave out its samples, speedup and interval rather than show
   * them (records made before this rule keep what they showed).
   */
  withholdRejected?: boolean;
}

export interface BenchSummary {
  kernel: string;
  gpuName: string;
  method?: TimingMethod;
  /** Kernel time (the method's), ms. */
  baseline: SampleSummary;
  baselineLaunch?: SampleSummary;
  baselineWall?: SampleSummary;
  candidate?: SampleSummary;
  candidateLaunch?: SampleSummary;
  candidateWall?: SampleSummary;
  comparison?: TimingComparison;
  baselineRoofline?: RooflineResult;
  candidateRoofline?: RooflineResult;
  verification?: VerifyResult;
  gate?: GateResult;
  trust?: TrustReport;
}

export function deriveSummary(input: SummaryInput): BenchSummary {
  const confidence = input.confidence ?? 0.95;
  const out: BenchSummary = { kernel: input.kernel, gpuName: input.gpuName, ...(input.method ? { method: input.method } : {}), baseline: summarize(input.baselineMs, confidence) };
  if (input.baselineLaunchMs?.length) out.baselineLaunch = summarize(input.baselineLaunchMs, confidence);
  if (input.baselineWallMs?.length) out.baselineWall = summarize(input.baselineWallMs, confidence);
  if (input.ceilings) out.baselineRoofline = roofline(out.baseline.median, input.bytes, input.flops, input.ceilings, input.rooflineOptions);
  const rejectedByProbes = input.withholdRejected && input.verification && !input.verification.verdict.accepted;
  if (input.candidateMs && !rejectedByProbes) {
    out.candidate = summarize(input.candidateMs, confidence);
    if (input.candidateLaunchMs?.length) out.candidateLaunch = summarize(input.candidateLaunchMs, confidence);
    if (input.candidateWallMs?.length) out.candidateWall = summarize(input.candidateWallMs, confidence);
    out.comparison = compareTimings(input.baselineMs, input.candidateMs, input.compareOptions);
    if (input.ceilings) out.candidateRoofline = roofline(out.candidate.median, input.bytes, input.flops, input.ceilings, input.rooflineOptions);
  }
  // Any candidate goes through the gate: without probes it is rejected as unverified rather than shown.
  if (input.verification || input.candidateMs) {
    if (input.verification) out.verification = input.verification;
    out.gate = gate({
      ...(input.verification ? { verification: input.verification } : {}),
      ...(out.comparison ? { timing: out.comparison } : {}),
      ...(out.candidateRoofline ? { candidateRoofline: out.candidateRoofline } : {}),
      ...(out.baselineRoofline ? { baselineRoofline: out.baselineRoofline } : {}),
    });
    if (input.withholdRejected && !out.gate.accepted) withhold(out);
  }
  if (input.trust) out.trust = input.trust;
  return out;
}

/** A rejected candidate keeps its reasons, never its figures. */
function withhold(out: BenchSummary): void {
  delete out.candidate;
  delete out.candidateLaunch;
  delete out.candidateWall;
  delete out.comparison;
  delete out.candidateRoofline;
  if (out.gate) {
    delete out.gate.speedup;
    delete out.gate.speedupCI;
  }
}
