// The final gate: correctness probes, the timing comparison and the roofline combined into what the editor
// shows. A speedup is shown only for a candidate that passed every gate probe, ran at a physically possible
// rate, and was significantly faster. Everything else says why not.

import type { TimingComparison } from './compare';
import type { RooflineResult } from './roofline';
import type { ProbeName, VerifyResult } from './probes';

export type GateStatus = 'faster' | 'slower' | 'no-significant-difference' | 'untimed' | 'rejected';

export interface GateInput {
  /** Absent when no probes ran: the candidate is then rejected as unverified, whatever its time. */
  verification?: VerifyResult;
  /** Absent when timing was not run. */
  timing?: TimingComparison;
  candidateRoofline?: RooflineResult;
  baselineRoofline?: RooflineResult;
  /** Speedups above this are shown with a warning to check the spec (KernelBench warns above 10×). Default 10. */
  suspiciousSpeedup?: number;
}

export interface GateResult {
  status: GateStatus;
  /** Passed the correctness gate and the physical-possibility check. */
  accepted: boolean;
  /** Only for an accepted, significantly faster candidate. */
  showSpeedup: boolean;
  speedup?: number;
  speedupCI?: { low: number; high: number; confidence: number };
  failedProbes: ProbeName[];
  weakSpec: boolean;
  /** Why the candidate was rejected (empty when accepted). */
  reasons: string[];
  /** Things to know that do not reject: a weak spec, nondeterminism, a huge speedup. */
  warnings: string[];
  /** One line: "1.23× faster", "rejected: match, written", "rejected: impossible: …". */
  headline: string;
}

export function gate(input: GateInput): GateResult {
  const { verification, timing } = input;
  const reasons: string[] = [];
  const warnings: string[] = [];
  const failedProbes = verification?.verdict.failed ?? [];
  if (!verification) reasons.push('not verified: no correctness probes were run, so its time is not a result');
  if (failedProbes.length && verification) {
    const first = verification.probes.find((p) => p.name === failedProbes[0]);
    reasons.push(`failed probes: ${failedProbes.join(', ')} — ${first?.reason ?? ''}`);
  }
  if (input.candidateRoofline?.impossible) reasons.push(input.candidateRoofline.impossibleReason ?? 'impossible roofline');
  if (input.baselineRoofline?.impossible) {
    // Not the candidate's fault, but it means the byte count or the ceilings are wrong, so no number here can be trusted.
    reasons.push(`the baseline itself measures as ${input.baselineRoofline.impossibleReason ?? 'impossible'}: check the spec's roofline bytes and the ceilings`);
  }
  const weakSpec = verification?.verdict.weakSpec ?? false;
  if (weakSpec) warnings.push(verification?.probes.find((p) => p.name === 'not-trivial')?.reason ?? 'weak spec');
  const det = verification?.probes.find((p) => p.name === 'deterministic');
  if (det && !det.passed) warnings.push(det.reason);

  const accepted = reasons.length === 0;
  const result: GateResult = { status: 'rejected', accepted, showSpeedup: false, failedProbes, weakSpec, reasons, warnings, headline: '' };
  if (timing) {
    result.speedup = timing.speedup;
    result.speedupCI = { low: timing.speedupCI.low, high: timing.speedupCI.high, confidence: timing.speedupCI.confidence };
  }
  if (!accepted) {
    const what = [failedProbes.length ? failedProbes.join(', ') : '', ...reasons.filter((r) => r.startsWith('impossible'))].filter(Boolean);
    result.headline = verification ? `rejected: ${what.length ? what.join('; ') : reasons[0]}` : 'rejected: not verified';
    return result;
  }
  if (!timing) {
    result.status = 'untimed';
    result.headline = 'correct (not timed)';
  } else {
    result.status = timing.verdict;
    result.showSpeedup = timing.verdict === 'faster';
    const x = `${timing.speedup.toFixed(2)}×`;
    if (timing.verdict === 'faster') result.headline = `${x} faster`;
    else if (timing.verdict === 'slower') result.headline = `${x} (slower)`;
    else result.headline = `no significant difference (${x})`;
    const limit = input.suspiciousSpeedup ?? 10;
    if (timing.speedup > limit) warnings.push(`a ${x} speedup is unusual: check that the spec makes both versions do the same work`);
  }
  if (weakSpec) result.headline += ' · weak spec';
  return result;
}
