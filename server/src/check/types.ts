// Data shared by the static resource check's modules. Plain JSON-serialisable objects, so
// `kernelpilot check --json` can print a CheckResult as is and the LSP layer can translate it.

/** One kernel entry as ptxas reports it with `-Xptxas -v` (one per entry function per arch). */
export interface PtxasEntry {
  /** As ptxas names it: Itanium-mangled (`_ZN2ns1kIfLi128EEEvPKT_PS1_i`) or plain for `extern "C"`. */
  mangledName: string;
  /** e.g. `sm_90`, `sm_90a`. */
  arch: string;
  registers: number;
  barriers: number;
  /** Static shared memory only; dynamic (`extern __shared__`) is decided at launch. */
  sharedMemBytes: number;
  /** Local memory per thread: local arrays plus spill slots. */
  stackFrameBytes: number;
  spillStoreBytes: number;
  spillLoadBytes: number;
  /** Sum of the per-entry constant banks ptxas lists (`cmem[0]` holds the parameters); absent when none listed. */
  constantMemBytes?: number;
  /** Stack including callees (`N bytes cumulative stack size`), when ptxas prints it. */
  cumulativeStackBytes?: number;
}

/** A non-entry (`__device__`, `__noinline__`) function's properties block. Never a kernel. */
export interface PtxasFunction {
  mangledName: string;
  arch?: string;
  stackFrameBytes: number;
  spillStoreBytes: number;
  spillLoadBytes: number;
}

export interface DemangledName {
  mangledName: string;
  /** c++filt's full text, e.g. `void ns::k<float, 128>(float const*, float*, int)`; the input when not demangled. */
  demangled: string;
  /** `ns::k`, without template arguments; anonymous namespaces read `(anonymous namespace)`. */
  qualifiedName: string;
  /** Last component of qualifiedName. */
  name: string;
  /** As c++filt prints them: `float`, `128`, `-1`, `true`, `7u`, `(char)97`. Empty when not a template (or unknown). */
  templateArgs: string[];
  /** Parameter types as c++filt prints them; absent when unknown. */
  params?: string[];
  /** False when the name came from the fallback heuristic (no c++filt) or could not be parsed. */
  exact: boolean;
}

/** A ptxas entry with its demangled identity: what the lens, hover and `--json` show. */
export interface ResourceRecord extends PtxasEntry {
  qualifiedName: string;
  name: string;
  templateArgs: string[];
  params?: string[];
  demangled: string;
  demangledExactly: boolean;
}

export type Severity = 'error' | 'warning' | 'info';

export interface RelatedLocation {
  file: string;
  /** 0-based. */
  line: number;
  column?: number;
  message: string;
}

export interface CompilerDiagnostic {
  /** Absolute where it could be resolved; the checked file for messages without a location. */
  file: string;
  /** 0-based line. */
  line: number;
  /** 0-based UTF-16 column into the source line, when the compiler gave one. */
  column?: number;
  severity: Severity;
  /** As printed: `177-D` (nvcc front end), `-Wcpp` (gcc). */
  code?: string;
  message: string;
  /** Which tool spoke: the CUDA front end (cudafe/cicc), the host compiler's preprocessor, ptxas, or the driver. */
  source: 'nvcc' | 'gcc' | 'ptxas' | 'kernelpilot';
  /** A mangled entry name a ptxas message is about, so an editor can move it onto that kernel. */
  symbol?: string;
  /** Notes that belong to this message (overload candidates, instantiation points). */
  related?: RelatedLocation[];
}

/** notFound: no nvcc; invalidArch: not an arch, or one this nvcc cannot target; failed: nvcc failed without a message we could place. */
export type CheckErrorKind = 'notFound' | 'invalidArch' | 'timeout' | 'cancelled' | 'failed';

export interface CheckError {
  kind: CheckErrorKind;
  message: string;
  hint?: string;
}

export interface CheckResult {
  /** The file as the user knows it (never the scratch copy). */
  file: string;
  arch: string;
  /** nvcc exited 0 and nothing stopped it. Compile errors are in `diagnostics`. */
  ok: boolean;
  resources: ResourceRecord[];
  deviceFunctions: PtxasFunction[];
  diagnostics: CompilerDiagnostic[];
  /** The nvcc command line, shell-quoted, for the user to reproduce. */
  command: string;
  durationMs: number;
  /** e.g. `13.0.88`. */
  nvccVersion?: string;
  demangler: 'c++filt' | 'heuristic' | 'none';
  /** Things that degraded the result without failing it (c++filt missing, …). */
  warnings: string[];
  /** Why there is no (complete) result when it was not the code: nvcc missing, timeout, cancel, crash. */
  error?: CheckError;
}
