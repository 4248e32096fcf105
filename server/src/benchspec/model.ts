// The bench spec: how to call one kernel. Written to `.kernelpilot/specs/<kernel>.json`, read and edited by people,
// validated by schemas/bench-spec.schema.json. This file is the contract between spec/, harness/ and bench/.

/**
 * Where inference could not decide, the field holds this string and `unknowns` says what to fill in. The JSON
 * schema accepts it in any field a person may have to complete (including `dtype` and `sizes` values, which are
 * typed here for the finished spec); `validate()` reports every one and refuses to call such a spec runnable, so
 * the harness never sees a placeholder.
 */
export const PLACEHOLDER = '?';
export type Placeholder = typeof PLACEHOLDER;

export type Dtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool';

export type ArgRole = 'input' | 'output' | 'inout' | 'scalar';

/** How an input is filled on the host from the seeded PRNG. */
export type Distribution =
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'normal'; mean: number; std: number }
  | { kind: 'int'; low: number; high: number }
  | { kind: 'const'; value: number };

export interface SpecArg {
  /** The kernel parameter's name. */
  name: string;
  role: ArgRole;
  dtype: Dtype;
  /** Buffers: extents as expressions over size variables (`["n"]`, `["rows", "cols"]`). */
  shape?: string[];
  /** Buffers with role input/inout: how to fill them. */
  init?: Distribution;
  /** Scalars: an expression over size variables, or a literal. */
  value?: string;
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

export interface LaunchConfig {
  /** Expressions over size variables; one to three components. */
  grid: string[];
  block: string[];
  sharedMem?: string;
  /** Where the launch was taken from, when inferred from a launch site (`file:line`). */
  from?: string;
  /**
   * Triton: the `tl.constexpr` arguments passed as keywords (`BLOCK_SIZE=1024`), each a number, a boolean or an
   * expression over sizes; grid expressions may name them. Constexprs an autotune config sets are not listed.
   */
  constexprs?: Record<string, number | boolean | string>;
  /** Triton: `num_warps` and `num_stages` of the launch (left out for an autotuned kernel: its config sets them). */
  numWarps?: number;
  numStages?: number;
}

/** One `triton.Config`: its meta-parameters and launch options. */
export interface TritonConfig {
  kwargs: Record<string, number | string>;
  numWarps?: number;
  numStages?: number;
}

/** A kernel's `@triton.autotune`, as found in its source: the autotuner times these and keeps the fastest per key. */
export interface TritonAutotune {
  configs: TritonConfig[];
  /** The arguments whose values make the autotuner pick again. */
  key: string[];
}

/** Something inference could not decide; the field it names holds the placeholder `"?"`. */
export interface SpecUnknown {
  /** JSON pointer into the spec, e.g. `/args/2/shape/0`. */
  path: string;
  message: string;
}

export interface BenchSpec {
  $schema?: string;
  version: 1;
  /** Qualified kernel name, as discovery reports it. */
  kernel: string;
  /** The source file, relative to the spec's workspace root. */
  file?: string;
  /** Template arguments for a templated kernel, e.g. `["float", "256"]`. */
  templateArgs?: string[];
  /** Size variables and their default values. */
  sizes: Record<string, number>;
  /** Extra size points for a sweep; each overrides some of `sizes`. */
  sweep?: Record<string, number>[];
  args: SpecArg[];
  launch: LaunchConfig;
  /** Per-dtype overrides of the default tolerances. */
  tolerance?: Partial<Record<Dtype, Tolerance>>;
  /** Expressions over size variables; bytes default to inputs read once + outputs written once. */
  roofline?: { bytes?: string; flops?: string };
  /** Triton only: what the kernel's decorators add to the launch. */
  triton?: { autotune?: TritonAutotune };
  /** What inference assumed, in words, for the user to confirm. */
  assumptions?: string[];
  unknowns?: SpecUnknown[];
}
