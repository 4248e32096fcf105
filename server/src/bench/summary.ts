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
import type { VerifyResult } from './verify';

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
}

export interface BenchSummary {
  kernel: string;
  gpuName: string;
  baseline: SampleSummary;
  candidate?: SampleSummary;
  comparison?: TimingComparison;
  baselineRoofline?: RooflineResult;
  candidateRoofline?: RooflineResult;
  verification?: VerifyResult;
  gate?: GateResult;
}

export function deriveSummary(input: SummaryInput): BenchSummary {
  const confidence = input.confidence ?? 0.95;
  const out: BenchSummary = { kernel: input.kernel, gpuName: input.gpuName, baseline: summarize(input.baselineMs, confidence) };
  if (input.ceilings) out.baselineRoofline = roofline(out.baseline.median, input.bytes, input.flops, input.ceilings, input.rooflineOptions);
  if (input.candidateMs) {
    out.candidate = summarize(input.candidateMs, confidence);
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
  }
  return out;
}
