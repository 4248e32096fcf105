// Per-dtype facts and defaults: tolerances, element sizes, C/C++ type names, initial distributions and the
// default byte count for the roofline.

import type { BenchSpec, Distribution, Dtype, SpecArg, Tolerance } from './model';

export const DTYPES: readonly Dtype[] = ['float32', 'float16', 'bfloat16', 'float64', 'int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool'];

/**
 * KernelBench's tolerances for fp32 and half types (field.md). fp64 gets a tight one so a kernel that quietly
 * computes in fp32 fails; integers and booleans must match exactly.
 */
export const DEFAULT_TOLERANCES: Readonly<Record<Dtype, Tolerance>> = {
  float32: { rtol: 1e-4, atol: 1e-4 },
  float16: { rtol: 1e-2, atol: 1e-2 },
  bfloat16: { rtol: 1e-2, atol: 1e-2 },
  float64: { rtol: 1e-9, atol: 1e-9 },
  int8: { rtol: 0, atol: 0 },
  uint8: { rtol: 0, atol: 0 },
  int16: { rtol: 0, atol: 0 },
  int32: { rtol: 0, atol: 0 },
  uint32: { rtol: 0, atol: 0 },
  int64: { rtol: 0, atol: 0 },
  uint64: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

/** The spec's override for this dtype when it has one, else the default. */
export function toleranceFor(spec: Pick<BenchSpec, 'tolerance'>, dtype: Dtype): Tolerance {
  const override = spec.tolerance?.[dtype];
  return { ...DEFAULT_TOLERANCES[dtype], ...(override ?? {}) };
}

export const ELEMENT_BYTES: Readonly<Record<Dtype, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

export function elementSize(dtype: Dtype): number {
  return ELEMENT_BYTES[dtype];
}

export function isFloatDtype(dtype: Dtype): boolean {
  return dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16' || dtype === 'float64';
}

export function isIntegerDtype(dtype: Dtype): boolean {
  return !isFloatDtype(dtype) && dtype !== 'bool';
}

// Type names after normalisation (qualifiers and `std::` dropped, whitespace collapsed). `long` is 64-bit on the
// Linux targets the harness builds for (LP64); `char` is signed there.
const scalarTypes: Record<string, Dtype> = {
  float: 'float32',
  double: 'float64',
  half: 'float16',
  __half: 'float16',
  __nv_half: 'float16',
  nv_bfloat16: 'bfloat16',
  __nv_bfloat16: 'bfloat16',
  __bfloat16: 'bfloat16',
  bfloat16: 'bfloat16',
  'c10::Half': 'float16',
  'c10::BFloat16': 'bfloat16',
  'at::Half': 'float16',
  'at::BFloat16': 'bfloat16',
  bool: 'bool',
  char: 'int8',
  'signed char': 'int8',
  int8_t: 'int8',
  'unsigned char': 'uint8',
  uint8_t: 'uint8',
  short: 'int16',
  'short int': 'int16',
  'signed short': 'int16',
  int16_t: 'int16',
  int: 'int32',
  signed: 'int32',
  'signed int': 'int32',
  int32_t: 'int32',
  unsigned: 'uint32',
  'unsigned int': 'uint32',
  uint32_t: 'uint32',
  long: 'int64',
  'long int': 'int64',
  'long long': 'int64',
  'long long int': 'int64',
  'signed long long': 'int64',
  int64_t: 'int64',
  ptrdiff_t: 'int64',
  ssize_t: 'int64',
  index_t: 'int64',
  'unsigned long': 'uint64',
  'unsigned long int': 'uint64',
  'unsigned long long': 'uint64',
  'unsigned long long int': 'uint64',
  uint64_t: 'uint64',
  size_t: 'uint64',
};

// CUDA vector types: a buffer of float4 is a buffer of floats, four per element.
const vectorBases: Record<string, Dtype> = {
  float: 'float32',
  double: 'float64',
  int: 'int32',
  uint: 'uint32',
  char: 'int8',
  uchar: 'uint8',
  short: 'int16',
  long: 'int64',
  longlong: 'int64',
  ulong: 'uint64',
  ulonglong: 'uint64',
  half: 'float16',
  __half: 'float16',
  __nv_bfloat16: 'bfloat16',
  nv_bfloat16: 'bfloat16',
};

/** Collapses qualifiers, `std::`, `struct` and whitespace: `const std::int64_t` → `int64_t`. */
export function normalizeCType(typeName: string): string {
  return typeName
    .replace(/\b(const|volatile|__restrict__|__restrict|restrict|struct|typename|register)\b/g, ' ')
    .replace(/[*&]/g, ' ')
    .replace(/\bstd::/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The dtype of a scalar C/C++ type name, or undefined for anything else (structs, vector types, `T`). */
export function dtypeOfCType(typeName: string): Dtype | undefined {
  return scalarTypes[normalizeCType(typeName)];
}

/** `float4` → float32 × 4, `__half2` → float16 × 2, `__nv_bfloat162` → bfloat16 × 2. */
export function vectorTypeOf(typeName: string): { dtype: Dtype; lanes: number } | undefined {
  const match = /^(.*?)([1-4])$/.exec(normalizeCType(typeName));
  if (!match) return undefined;
  const dtype = vectorBases[match[1]];
  return dtype ? { dtype, lanes: Number(match[2]) } : undefined;
}

/** The canonical C++ spelling the harness uses for a dtype. */
export const CPP_TYPE: Readonly<Record<Dtype, string>> = {
  float32: 'float',
  float16: '__half',
  bfloat16: '__nv_bfloat16',
  float64: 'double',
  int8: 'int8_t',
  uint8: 'uint8_t',
  int16: 'int16_t',
  int32: 'int32_t',
  uint32: 'uint32_t',
  int64: 'int64_t',
  uint64: 'uint64_t',
  bool: 'bool',
};

/**
 * Inputs are drawn symmetric around zero: with [0, 1) an all-zero or identity output can pass a loose
 * tolerance (field.md, pattern 11). Integers stay small and non-negative so they are safe as indices into
 * buffers of at least 100 elements and do not overflow sums.
 */
export function defaultInit(dtype: Dtype): Distribution {
  if (isFloatDtype(dtype)) return { kind: 'uniform', low: -1, high: 1 };
  if (dtype === 'bool') return { kind: 'int', low: 0, high: 2 };
  return { kind: 'int', low: 0, high: 100 };
}

export function describeDistribution(init: Distribution): string {
  switch (init.kind) {
    case 'uniform':
      return `uniform[${init.low}, ${init.high})`;
    case 'normal':
      return `normal(mean ${init.mean}, std ${init.std})`;
    case 'int':
      return `integers in [${init.low}, ${init.high})`;
    case 'const':
      return `constant ${init.value}`;
  }
}

function product(shape: string[]): string {
  if (shape.length === 1) return shape[0];
  return shape.map((s) => (/^[\w.]+$/.test(s) ? s : `(${s})`)).join(' * ');
}

/**
 * Bytes a kernel must move at least: each input read once, each output written once, each inout both.
 * Returns undefined while any buffer's shape or dtype is still a placeholder. Terms with the same extent are
 * merged, so a vector add gives `12 * n` rather than `4 * n + 4 * n + 4 * n`.
 */
export function defaultBytesExpr(args: readonly SpecArg[]): string | undefined {
  const coefficients = new Map<string, number>();
  for (const arg of args) {
    if (arg.role === 'scalar') continue;
    if (!arg.shape || arg.shape.length === 0 || arg.shape.some((s) => s === '?') || !(arg.dtype in ELEMENT_BYTES)) return undefined;
    const extent = product(arg.shape);
    const times = arg.role === 'inout' ? 2 : 1;
    coefficients.set(extent, (coefficients.get(extent) ?? 0) + times * ELEMENT_BYTES[arg.dtype]);
  }
  if (coefficients.size === 0) return undefined;
  return [...coefficients]
    .map(([extent, bytes]) => {
      if (extent === '1') return `${bytes}`;
      // Parenthesise anything but a plain product: `4 * n / 2` would not equal 4 * (n / 2) for odd n.
      const term = /[+\-/%<>]/.test(extent) ? `(${extent})` : extent;
      return bytes === 1 ? term : `${bytes} * ${term}`;
    })
    .join(' + ');
}
