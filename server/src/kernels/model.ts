// The kernel model: what discovery produces and every later stage consumes.
// Pure data (JSON-serialisable), so the CLI can print it and the LSP layer can translate it.

export type KernelLanguage = 'cuda' | 'triton' | 'kernelbench';

/** Zero-based line and UTF-16 column, as LSP and tree-sitter (over JS strings) count them. */
export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface KernelParam {
  name: string;
  /** The declared type as written, without the name (e.g. `const float* __restrict__`). */
  type: string;
  /** The type with qualifiers, pointers and references removed (e.g. `float`, `T`). */
  baseType: string;
  pointer: boolean;
  /** `const` applies to the pointee (or to the value for non-pointers). */
  const: boolean;
  restrict: boolean;
  /** Triton: annotated `tl.constexpr`. */
  constexpr?: boolean;
  /** Default value as written, if any. */
  default?: string;
  range: Range;
}

export interface TemplateParam {
  /** `typename` | `class` | a non-type parameter's type such as `int`. */
  kind: string;
  name: string;
  default?: string;
}

/** A launch `k<<<grid, block, smem, stream>>>(args)` found in the same document. */
export interface LaunchSite {
  /** The callee as written, e.g. `ns::k<float, 128>`. */
  callee: string;
  templateArgs?: string[];
  grid: string;
  block: string;
  sharedMem?: string;
  stream?: string;
  args: string[];
  range: Range;
}

export interface TritonAutotuneConfig {
  /** The meta-parameter dict as written, key → expression. */
  kwargs: Record<string, string>;
  numWarps?: string;
  numStages?: string;
  text: string;
}

export interface Kernel {
  /** Stable within a document: `language:qualifiedName`, plus `#n` for overloads. */
  id: string;
  /** The plain identifier. */
  name: string;
  /** Namespaces and classes joined with `::` (CUDA) or `.` (Python). */
  qualifiedName: string;
  language: KernelLanguage;
  /** Absolute file path (CLI) or document URI (LSP). */
  file: string;
  /** The whole definition, attributes and decorators included. */
  range: Range;
  /** The name token: where lenses and hovers anchor. */
  nameRange: Range;
  params: KernelParam[];
  templateParams: TemplateParam[];
  /** Attributes and specifiers as written: `__global__`, `__launch_bounds__(256, 2)`, `extern "C"`, `static`, `@triton.jit`. */
  attributes: string[];
  /** A one-line signature for hovers and tables. */
  signature: string;
  launchSites: LaunchSite[];
  /** Triton only. */
  autotuneConfigs?: TritonAutotuneConfig[];
  /**
   * Triton only: where the `configs` expression of its `@triton.autotune` is, and its last element when it is a list
   * literal (the search adds configs there).
   */
  autotuneConfigsAt?: { range: Range; lastElement?: Range };
  /** KernelBench only: where `get_inputs` / `get_init_inputs` are defined. */
  kernelbench?: { getInputs?: Range; getInitInputs?: Range; initParams: KernelParam[] };
}

/** Everything discovery says about one document version. */
export interface DocumentKernels {
  kernels: Kernel[];
  /** Parse problems worth telling the user about (never fatal). */
  problems: { message: string; range: Range }[];
}
