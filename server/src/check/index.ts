// The static resource check's public surface, for the CLI (`kernelpilot check`) and the LSP.
export { runStaticCheck, DEFAULT_TIMEOUT_MS, nvccVersion } from './run';
export type { StaticCheckOptions } from './run';
export { normalizeArch } from './arch';
export { parsePtxasOutput } from './ptxas';
export type { PtxasReport } from './ptxas';
export { demangleNames, parseDemangled, heuristicDemangle, isMangled } from './demangle';
export type { DemangleOptions, DemangleResult } from './demangle';
export { parseCompilerOutput } from './diagnostics';
export type { ParseDiagnosticsOptions } from './diagnostics';
export { compileFlagsFor, findCompileCommands, loadCompileCommands, pickEntry, extractFlags } from './compileCommands';
export { resolveCompileFlags, describeFlagRefusal, describeFlags } from './compile-flags';
export type { FlagRequest, ResolvedFlags, Refusal, MacroOp } from './compile-flags';
export type { CompileCommand, CompileFlags, FoundFlags, FindOptions } from './compileCommands';
export { matchResources, unmatchedResources, normalizeQualifiedName } from './match';
export { formatLens, formatResourcesMarkdown, formatBytes, instanceLabel } from './format';
export type { LensKernel } from './format';
export type * from './types';
