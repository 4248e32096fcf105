// The values a harness writes into every output buffer before the launch (field notes, pattern 1: stale
// memory). One place for both sides of the contract: the harness generator fills with these bit patterns,
// bench/verify.ts looks for them in the dumped outputs. Patterns are element bit patterns, stored
// little-endian like every dump.
//
// Floats get a quiet NaN with a recognisable payload, so an untouched element both fails any tolerance check
// and is identifiable as "never written" rather than "computed NaN". Integers have no NaN: they get a sentinel
// that a real result can legitimately equal, so verify only calls an integer element unwritten where the
// baseline's element differs from the sentinel.

import type { Dtype } from '../spec/model';

export const POISON_BITS: Readonly<Record<Dtype, bigint>> = {
  float32: 0x7fc0deadn, // quiet NaN, payload 0x40dead
  float64: 0x7ff8deaddeaddeadn, // quiet NaN
  float16: 0x7e5dn, // quiet NaN: exponent 11111, mantissa 10_0101_1101
  bfloat16: 0x7fddn, // quiet NaN: exponent 1111_1111, mantissa 101_1101
  int8: 0xa5n,
  uint8: 0xa5n,
  bool: 0xa5n, // not a valid bool byte (0/1), so any write replaces it
  int16: 0xdeadn,
  int32: 0xdeadbeefn,
  uint32: 0xdeadbeefn,
  int64: 0xdeadbeefdeadbeefn,
  uint64: 0xdeadbeefdeadbeefn,
};

/** The pattern as a C/C++ hex literal of the element's width, for generated harness code. */
export function poisonLiteral(dtype: Dtype): string {
  return `0x${POISON_BITS[dtype].toString(16).toUpperCase()}${dtype.endsWith('64') ? 'ULL' : 'u'}`;
}
