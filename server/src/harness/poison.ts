// What the gate writes over every output buffer before each launch (field notes, pattern 1: stale memory), in one
// place for both sides: the generated tables hand it to the runtime, and its comparison kernel (kp_compare.cuh), like
// bench/elementwise.ts, looks for it in the outputs.
//
// The poison is one BYTE repeated over the whole buffer, because that is what cudaMemsetAsync (and
// torch.Tensor.fill_ on a uint8 view) can write cheaply before every launch. 0xFF makes every float format a
// NaN with the sign bit set (0xFFFFFFFF, 0xFFFF …), which fails any tolerance check and differs from the
// canonical NaN that CUDA arithmetic produces (0x7FFFFFFF), so "never written" and "computed NaN" stay
// distinguishable. Integers have no NaN: 0xAB gives an unlikely value (0xABABABAB) and a bool byte that is
// neither 0 nor 1. A real integer result can still equal it, so verify only calls an integer element unwritten
// where the baseline's element differs from the pattern.

import type { Dtype } from '../benchspec/model';

export const POISON_BYTE: Readonly<Record<Dtype, number>> = {
  float32: 0xff,
  float16: 0xff,
  bfloat16: 0xff,
  float64: 0xff,
  int8: 0xab,
  uint8: 0xab,
  int16: 0xab,
  int32: 0xab,
  uint32: 0xab,
  int64: 0xab,
  uint64: 0xab,
  bool: 0xab,
};

/** The element bit pattern a poison byte makes in an element of `width` bytes (0xAB, 4 → 0xABABABAB). */
export function poisonPattern(byte: number, width: number): bigint {
  if (!Number.isInteger(byte) || byte < 0 || byte > 0xff) throw new RangeError(`poison byte must be 0..255, got ${byte}`);
  let bits = 0n;
  for (let i = 0; i < width; i++) bits = (bits << 8n) | BigInt(byte);
  return bits;
}
