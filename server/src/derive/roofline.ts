// Where a measured time sits under the GPU's measured ceilings, and whether it is physically possible at all.
// A result faster than the measured copy bandwidth allows means the bytes were not really moved (data pinned
// in L2, work skipped, a timer fooled — field notes, patterns 3, 14, 15): it is rejected, never shown as a speedup.
//
// Caveat, on purpose not worked around: the byte count is the compulsory traffic (inputs once, outputs once),
// the harness flushes L2 before every timed launch so inputs must come from DRAM, but writes can still land in
// L2 when a buffer fits there. Specs should benchmark sizes well above the L2 size; the margin below absorbs
// measurement noise, not small-problem effects.

import { percent, siRate } from './num';

export interface Ceilings {
  /** Bytes read + written per second by a large device-to-device copy. */
  copyBytesPerSecond: number;
  /** FP32 FMA throughput, 2 flops per FMA. */
  fp32FlopsPerSecond: number;
}

export type Bound = 'memory' | 'compute' | 'latency';

export interface RooflineOptions {
  /** Achieved may exceed a ceiling by this fraction before it is called impossible. Default 0.05. */
  impossibleMargin?: number;
  /** Below this fraction of both ceilings the kernel is latency-bound (Nsight Compute's SOL rule uses 0.6). */
  latencyThreshold?: number;
  /**
   * Whether the FP32 ceiling bounds this kernel's flops. Default true. Pass false for fp16/bf16/tf32 kernels:
   * tensor cores legitimately exceed the FP32 FMA rate, so exceeding it proves nothing there.
   */
  flopsCeilingApplies?: boolean;
}

export interface RooflineResult {
  timeMs: number;
  bytes: number;
  flops?: number;
  achievedBytesPerSecond: number;
  achievedFlopsPerSecond?: number;
  /** Achieved / ceiling. */
  fractionOfCopy: number;
  fractionOfFlops?: number;
  /** flops / bytes, and the intensity where the two ceilings meet. */
  arithmeticIntensity?: number;
  ridgeIntensity: number;
  /** What the achieved fractions say limits the kernel (both below the latency threshold: latency). */
  bound: Bound;
  /** What the intensity says should limit it, when flops are known. */
  expectedBound?: 'memory' | 'compute';
  /** The fraction of the limiting resource's ceiling: the "80 % of peak" shown in the lens. */
  fractionOfPeak: number;
  impossible: boolean;
  impossibleReason?: string;
}

function positive(value: number, what: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`roofline: ${what} must be finite and > 0, got ${value}`);
}

export function roofline(timeMs: number, bytes: number, flops: number | undefined, ceilings: Ceilings, options: RooflineOptions = {}): RooflineResult {
  positive(timeMs, 'time (ms)');
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`roofline: bytes must be finite and ≥ 0, got ${bytes}`);
  if (flops !== undefined && !(Number.isFinite(flops) && flops >= 0)) throw new RangeError(`roofline: flops must be finite and ≥ 0, got ${flops}`);
  positive(ceilings.copyBytesPerSecond, 'copy ceiling (B/s)');
  positive(ceilings.fp32FlopsPerSecond, 'FP32 ceiling (flop/s)');
  const margin = options.impossibleMargin ?? 0.05;
  const latency = options.latencyThreshold ?? 0.6;
  const seconds = timeMs / 1000;
  const achievedBytesPerSecond = bytes / seconds;
  const fractionOfCopy = achievedBytesPerSecond / ceilings.copyBytesPerSecond;
  const ridgeIntensity = ceilings.fp32FlopsPerSecond / ceilings.copyBytesPerSecond;
  const result: RooflineResult = { timeMs, bytes, achievedBytesPerSecond, fractionOfCopy, ridgeIntensity, bound: 'latency', fractionOfPeak: fractionOfCopy, impossible: false };
  let fractionOfFlops = 0;
  if (flops !== undefined) {
    result.flops = flops;
    result.achievedFlopsPerSecond = flops / seconds;
    fractionOfFlops = result.achievedFlopsPerSecond / ceilings.fp32FlopsPerSecond;
    result.fractionOfFlops = fractionOfFlops;
    if (bytes > 0) {
      result.arithmeticIntensity = flops / bytes;
      result.expectedBound = result.arithmeticIntensity >= ridgeIntensity ? 'compute' : 'memory';
    }
  }
  // A compute fraction above 1 is expected when the FP32 ceiling does not apply; don't let it pick the bound.
  const computeFraction = options.flopsCeilingApplies === false ? Math.min(fractionOfFlops, 1) : fractionOfFlops;
  result.fractionOfPeak = Math.max(fractionOfCopy, computeFraction);
  if (result.fractionOfPeak < latency) result.bound = 'latency';
  else result.bound = fractionOfCopy >= computeFraction ? 'memory' : 'compute';

  const reasons: string[] = [];
  if (fractionOfCopy > 1 + margin) {
    reasons.push(`impossible: ${siRate(achievedBytesPerSecond, 'B/s')} exceeds measured copy bandwidth ${siRate(ceilings.copyBytesPerSecond, 'B/s')} (${percent(fractionOfCopy)})`);
  }
  if (options.flopsCeilingApplies !== false && fractionOfFlops > 1 + margin) {
    reasons.push(`impossible: ${siRate(result.achievedFlopsPerSecond ?? 0, 'FLOP/s')} exceeds measured FP32 throughput ${siRate(ceilings.fp32FlopsPerSecond, 'FLOP/s')} (${percent(fractionOfFlops)})`);
  }
  if (reasons.length) {
    result.impossible = true;
    result.impossibleReason = reasons.join('; ');
  }
  return result;
}

/**
 * Whether the FP32 ceiling bounds a spec's kernel: not when any buffer is fp16/bf16, since tensor cores run
 * those faster than FP32 FMA. An fp32 kernel beating the FP32 rate is using TF32 or skipping work — both are
 * things the gate should see.
 */
export function flopsCeilingApplies(dtypes: readonly string[]): boolean {
  return !dtypes.some((d) => d === 'float16' || d === 'bfloat16');
}
