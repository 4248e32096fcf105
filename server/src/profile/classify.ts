// What limits the kernel, and how far it is from the roofline. From Nsight Compute's speed of light when there are
// live figures (its SOLBottleneck rule's thresholds: both below 60 % → latency-bound), else from the benchmark's own
// roofline figures (derive/roofline.ts, the same thresholds over measured ceilings).

import { percent } from '../derive/num';
import type { RooflineResult } from '../derive/roofline';
import type { Classification, Headroom, LiveMeasured } from './report';

export const LATENCY_BOUND_BELOW_PCT = 60;

const pct = (value: number): string => percent(value / 100);

export function classifyLive(live: LiveMeasured): Classification {
  const { computePct, memoryPct } = live;
  const bound = computePct < LATENCY_BOUND_BELOW_PCT && memoryPct < LATENCY_BOUND_BELOW_PCT ? 'latency' : memoryPct >= computePct ? 'memory' : 'compute';
  const figures = `memory ${pct(memoryPct)} of peak (DRAM ${pct(live.dramPct)}), compute ${pct(computePct)}`;
  const why = bound === 'latency' ? `neither memory nor compute reaches ${LATENCY_BOUND_BELOW_PCT} % of peak` : `${bound} throughput is the larger share of peak`;
  return { bound, basis: 'speed-of-light', computePct, memoryPct, summary: `${bound}-bound: ${figures}; ${why}` };
}

export interface BenchFigures {
  /** The bench record's id (its folder under .kernelpilot/runs/). */
  runId: string;
  roofline: RooflineResult;
}

export function classifyRoofline(bench: BenchFigures): Classification {
  const r = bench.roofline;
  const memoryPct = r.fractionOfCopy * 100;
  const computePct = (r.fractionOfFlops ?? 0) * 100;
  const figures = `${pct(memoryPct)} of measured copy bandwidth${r.fractionOfFlops !== undefined ? `, ${pct(computePct)} of FP32 peak` : ''}`;
  return { bound: r.bound, basis: 'roofline', computePct, memoryPct, summary: `${r.bound}-bound (benchmark ${bench.runId}): ${figures}` };
}

export function headroomOf(bench: BenchFigures): Headroom {
  const r = bench.roofline;
  return { runId: bench.runId, timeMs: r.timeMs, fractionOfPeak: r.fractionOfPeak, bound: r.bound, rooflineTimeMs: r.timeMs * r.fractionOfPeak };
}
