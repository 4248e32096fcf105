// The `timed` probe (field notes, pattern 8): a kernel can be right in the correctness checks, each a fresh process
// with one launch, yet skip work once it has seen its buffers before (the timing loop rotates through a few buffer
// sets, and outputs are re-poisoned before every launch). The harness dumps what the LAST timed launch wrote; the
// candidate's must match the baseline's for the same buffer set, and be fully written.

import type { TimeReport } from '../harness/protocol';
import type { BenchSpec } from '../benchspec/model';
import { verify, type CheckRun, type Probe } from './verify';

/** A timed run's dumps in the shape the checks' probes read (inputs and pointers are not part of it). */
export function timedCheck(report: TimeReport, dir: string): CheckRun | undefined {
  const timed = report.timedOutputs;
  if (!timed) return undefined;
  return {
    dir,
    report: { kind: 'check', seed: timed.seed, device: report.device, outputs: timed.outputs, inputChecksumsBefore: {}, inputChecksumsAfter: {}, pointers: {}, kernelMs: 0, ...(report.sizes ? { sizes: report.sizes } : {}) },
  };
}

export async function timedProbe(spec: BenchSpec, baseline: CheckRun | undefined, candidate: CheckRun | undefined): Promise<Probe> {
  if (!baseline || !candidate) return { name: 'timed', passed: true, gate: true, skipped: true, reason: 'the harness wrote no outputs of a timed launch' };
  const seed = baseline.report.seed;
  if (seed !== candidate.report.seed) {
    return { name: 'timed', passed: false, gate: true, reason: `the last timed launches used different buffer sets (seeds ${seed} and ${candidate.report.seed})` };
  }
  const v = await verify({ spec, ...(baseline.report.sizes ? { sizes: baseline.report.sizes } : {}), baseline: [baseline], candidate: [candidate], minSeeds: 1 });
  const failed = v.probes.filter((p) => (p.name === 'match' || p.name === 'written') && !p.passed);
  if (failed.length) return { name: 'timed', passed: false, gate: true, reason: `in the last timed launch: ${failed.map((p) => p.reason).join('; ')}`, details: { seed } };
  return { name: 'timed', passed: true, gate: true, reason: `the last timed launch (buffer set seed ${seed}) matches the baseline's, every element written` };
}
