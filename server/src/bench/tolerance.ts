// Default per-dtype tolerances, overridden per dtype by the spec. Floats follow KernelBench's defaults (fp32
// 1e-4, fp16/bf16 1e-2) so results compare with the literature; fp64 is tight because a lower-precision
// shortcut (field notes, pattern 12) must show; integers and bools must match exactly.

import type { BenchSpec, Dtype, Tolerance } from '../spec/model';

export const DEFAULT_TOLERANCE: Readonly<Record<Dtype, Tolerance>> = {
  float64: { rtol: 1e-8, atol: 1e-8 },
  float32: { rtol: 1e-4, atol: 1e-4 },
  float16: { rtol: 1e-2, atol: 1e-2 },
  bfloat16: { rtol: 1e-2, atol: 1e-2 },
  int8: { rtol: 0, atol: 0 },
  uint8: { rtol: 0, atol: 0 },
  int16: { rtol: 0, atol: 0 },
  int32: { rtol: 0, atol: 0 },
  uint32: { rtol: 0, atol: 0 },
  int64: { rtol: 0, atol: 0 },
  uint64: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

export function toleranceFor(spec: BenchSpec, dtype: Dtype): Tolerance {
  return spec.tolerance?.[dtype] ?? DEFAULT_TOLERANCE[dtype];
}

/** The element test used everywhere: |c − b| ≤ atol + rtol·|b| (asymmetric, like numpy.isclose). */
export function withinTolerance(candidate: number, baseline: number, tol: Tolerance): boolean {
  return Math.abs(candidate - baseline) <= tol.atol + tol.rtol * Math.abs(baseline);
}
