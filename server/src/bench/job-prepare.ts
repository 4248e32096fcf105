// The first half of a bench job, shared by `bench`, `compare` and --dry-run: which kernel, which spec, and the
// harness binary built for it. Everything here runs without a GPU; failures become JobErrors whose message says
// what to do, so the CLI can print them as they are.

import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { checkCandidate, describeRefusal } from '../candidates/check';
import { describeFlagRefusal, describeFlags, resolveCompileFlags, type FlagRequest, type ResolvedFlags } from '../check/compile-flags';
import { stageShared } from '../check/stage-flags';
import type { CompilerDiagnostic } from '../check/types';
import { buildHarness, type BuildResult } from '../harness/build';
import { discover } from '../kernels/discover';
import { unreadableReason } from '../kernels/language';
import type { Kernel } from '../kernels/model';
import type { BenchSpec, LaunchConfig } from '../benchspec/model';
import { inferSpec } from '../benchspec/infer';
import { findSpec, loadSpec, specPath } from '../benchspec/store';
import { validate } from '../benchspec/validate';
import type { Target } from '../targets/target';

export type JobErrorKind = 'input' | 'kernel' | 'spec' | 'candidate' | 'build' | 'no-device' | 'run';

/** A failure the user can act on; `message` is complete (what happened, where, what to do). */
export class JobError extends Error {
  constructor(
    readonly kind: JobErrorKind,
    message: string,
    options?: { cause?: unknown; where?: JobErrorPlace },
  ) {
    super(message, options);
    this.name = 'JobError';
    this.where = options?.where;
  }
  /** Where an editor can show the failure, when it has a place. */
  readonly where?: JobErrorPlace;
}

/** A failing build's compiler messages, or the spec file whose content is at fault. */
export type JobErrorPlace = { diagnostics: CompilerDiagnostic[] } | { specFile: string };

export interface PrepareOptions {
  /** The source file (relative paths resolve against the workspace). */
  file: string;
  /** Qualified kernel name; may be omitted when the file (or the explicit spec) names exactly one. */
  kernel?: string;
  /** An explicit spec file; else `.kernelpilot/specs/` of the workspace; else inferred. */
  specPath?: string;
  workspace: string;
  target: Target;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  /** Used when `compile` is absent (library callers, tests); with `compile`, the nvcc it resolves. */
  nvcc?: string;
  /**
   * The settings the static check uses (include paths, defines, extra args, compile_commands.json, nvcc), with who
   * set each: the harness is built with the same flags as the check (check/compile-flags.ts), and they are recorded.
   */
  compile?: Omit<FlagRequest, 'file'>;
  /** Default: the target's GPU, else sm_90. */
  arch?: string;
  /** Default ~/.cache/kernelpilot/builds (build.ts). */
  buildCacheDir?: string;
}

export type SpecSource = { kind: 'file'; path: string } | { kind: 'inferred'; assumptions: string[] };

export interface PreparedSpec {
  file: string;
  /** The file's text as the kernel was found in it (a candidate replaces the kernel's range in it). */
  text: string;
  kernel: Kernel;
  spec: BenchSpec;
  source: SpecSource;
}

/** What a build produced, in the form the CLI and the record show. */
export interface BuildInfo {
  role: 'baseline' | 'candidate';
  file: string;
  binary: string;
  dir: string;
  harnessFile: string;
  cached: boolean;
  arch: string;
  /** The nvcc command that ran; absent on a cache hit. */
  command?: string;
  durationMs: number;
  /** The user's flags it was built with (compile-flags.ts describeFlags), as the run record keeps them. */
  flags: Record<string, unknown>;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new JobError('input', code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${(error as Error).message})`, { cause: error });
  }
}

/** The kernel named `wanted` in `file` (or its only kernel), with an error that lists what the file has. */
export async function resolveKernel(file: string, wanted: string | undefined): Promise<{ kernel: Kernel; text: string }> {
  const text = await readText(file);
  const unreadable = unreadableReason(text);
  if (unreadable) throw new JobError('input', `${file}: ${unreadable}`);
  const { kernels, problems } = await discover(file, text);
  const noted = problems.length ? ` (${problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`).join('; ')})` : '';
  if (kernels.length === 0) throw new JobError('kernel', `${file}: no GPU kernels found (a CUDA __global__ function, a @triton.jit function or a KernelBench Model)${noted}`);
  const names = kernels.map((k) => k.qualifiedName);
  let kernel: Kernel | undefined;
  if (wanted === undefined) {
    // Without --kernel the file's one CUDA kernel is meant; a file of Python kernels gets the refusal naming them.
    const cuda = kernels.filter((k) => k.language === 'cuda');
    const unique = [...new Set((cuda.length ? cuda : kernels).map((k) => k.qualifiedName))];
    if (cuda.length && unique.length > 1) throw new JobError('kernel', `${file} has ${unique.length} CUDA kernels (${unique.join(', ')}): name one with --kernel`);
    kernel = cuda[0];
    if (!kernel) throw new JobError('kernel', notCudaMessage(kernels));
  } else {
    kernel = kernels.find((k) => k.qualifiedName === wanted) ?? kernels.find((k) => k.name === wanted);
    if (!kernel) throw new JobError('kernel', `${file} has no kernel '${wanted}'; it has: ${names.join(', ')}${noted}`);
  }
  if (kernel.language !== 'cuda') throw new JobError('kernel', notCudaMessage([kernel]));
  return { kernel, text };
}

/** The same refusal with or without --kernel: what the kernels are, and that only CUDA runs so far. */
function notCudaMessage(kernels: readonly Kernel[]): string {
  const names = [...new Set(kernels.map((k) => k.qualifiedName))];
  const languages = [...new Set(kernels.map((k) => k.language))].join('/');
  const described = names.length === 1 ? `${names[0]} is a ${languages} kernel` : `${names.join(', ')} are ${languages} kernels`;
  return `${described}: only CUDA kernels can be benchmarked so far`;
}

function specFixHint(file: string, kernel: string, workspace: string): string {
  const shown = relative(workspace, file) || file;
  return `run 'kernelpilot spec ${shown} --kernel ${kernel} --write', then edit ${relative(workspace, specPath(workspace, kernel))} (or pass --spec FILE)`;
}

/** The spec to run: explicit, stored, or inferred (refused while inference left "?" fields). */
export async function prepareSpec(o: PrepareOptions): Promise<PreparedSpec> {
  const file = resolve(o.workspace, o.file);
  let explicit: Awaited<ReturnType<typeof loadSpec>> | undefined;
  const explicitPath = o.specPath ? resolve(o.workspace, o.specPath) : undefined;
  if (explicitPath) {
    try {
      explicit = await loadSpec(explicitPath);
    } catch (error) {
      throw new JobError('spec', (error as Error).message, { cause: error });
    }
  }
  const { kernel, text } = await resolveKernel(file, o.kernel ?? explicit?.spec?.kernel);
  const path = explicitPath ?? (await findSpec(o.workspace, { qualifiedName: kernel.qualifiedName, file }));
  if (path) {
    o.onProgress?.(`spec: ${path}`);
    const loaded = explicit ?? (await loadSpec(path).catch((error: unknown) => { throw new JobError('spec', (error as Error).message, { cause: error }); }));
    if (loaded.parseErrors.length) throw new JobError('spec', `${path}: not valid JSON (${loaded.parseErrors.map((e) => `${e.message} at offset ${e.offset}`).join('; ')})`, { where: { specFile: path } });
    const v = loaded.validation;
    if (!v.ok || !loaded.spec) {
      const problems = [...v.errors.map((e) => `${e.path || '/'}: ${e.message}`), ...v.unknowns.map((u) => `${u.path}: "?" — ${u.message}`)];
      throw new JobError('spec', `${path} cannot be run yet (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}\nfix them in the spec file`, { where: { specFile: path } });
    }
    if (loaded.spec.kernel !== kernel.qualifiedName) throw new JobError('spec', `${path} is the spec of '${loaded.spec.kernel}', not of '${kernel.qualifiedName}'`);
    return { file, text, kernel, spec: loaded.spec, source: { kind: 'file', path } };
  }
  const inferred = inferSpec(kernel, { fileText: text, workspaceRoot: o.workspace });
  if (inferred.unknowns.length) {
    const list = inferred.unknowns.map((u) => `${u.path}: ${u.message}`).join('\n  ');
    throw new JobError('spec', `no spec for ${kernel.qualifiedName}, and inference left ${inferred.unknowns.length} field${inferred.unknowns.length === 1 ? '' : 's'} unknown:\n  ${list}\n${specFixHint(file, kernel.qualifiedName, o.workspace)}`);
  }
  const v = validate(inferred.spec);
  if (!v.ok) {
    throw new JobError('spec', `the inferred spec for ${kernel.qualifiedName} is not runnable:\n  ${v.errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}\n${specFixHint(file, kernel.qualifiedName, o.workspace)}`);
  }
  o.onProgress?.(`spec: inferred for ${kernel.qualifiedName} (no spec file; check its assumptions with 'kernelpilot spec')`);
  return { file, text, kernel, spec: inferred.spec, source: { kind: 'inferred', assumptions: inferred.assumptions } };
}

function buildFailure(result: BuildResult, file: string): JobError {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const shown = (errors.length ? errors : result.diagnostics).slice(0, 10).map((d) => `${d.file}:${d.line + 1}${d.column !== undefined ? `:${d.column + 1}` : ''}: ${d.severity}: ${d.message}`);
  return new JobError('build', `building the harness for ${file} failed (build folder ${result.dir}):\n  ${shown.join('\n  ') || result.log.trim().split('\n').slice(-10).join('\n  ')}`, {
    where: { diagnostics: result.diagnostics.filter((d) => d.origin === 'user') },
  });
}

const resolvedFlags = new WeakMap<PrepareOptions, Promise<ResolvedFlags>>();

/**
 * The user's flags for this job, resolved once for the baseline's file (a candidate is a drop-in for it and is built
 * the same way); refusals are said once, as progress lines, and kept in the record.
 */
function jobFlags(o: PrepareOptions, baselineFile: string): Promise<ResolvedFlags> {
  let flags = resolvedFlags.get(o);
  if (!flags) {
    const empty: ResolvedFlags = { file: baselineFile, nvcc: o.nvcc ?? 'nvcc', includeDirs: [], systemIncludeDirs: [], macros: [], args: [], refused: [], warnings: [] };
    flags = o.compile ? resolveCompileFlags({ ...o.compile, file: baselineFile }) : Promise.resolve(empty);
    void flags.then((f) => [...f.refused.map(describeFlagRefusal), ...f.warnings].forEach((line) => o.onProgress?.(`flags: ${line}`)), () => undefined);
    resolvedFlags.set(o, flags);
  }
  return flags;
}

/**
 * Checks a candidate before anything compiles (candidates/check.ts): it must be kernel code that can replace the
 * baseline's kernel. Returns the translation unit to build it as: the baseline file with its kernel replaced.
 */
export async function prepareCandidate(prepared: PreparedSpec, candidateFile: string, o: PrepareOptions): Promise<string> {
  const file = resolve(o.workspace, candidateFile);
  const text = await readText(file);
  const check = await checkCandidate(text, { file, baseline: { file: prepared.file, text: prepared.text, kernel: prepared.kernel }, templateArgs: prepared.spec.templateArgs });
  if (!check.ok || check.tuSource === undefined) throw new JobError('candidate', describeRefusal(file, check.problems));
  o.onProgress?.(`candidate: ${basename(file)} is kernel code; built in place of ${prepared.kernel.qualifiedName} in ${basename(prepared.file)}`);
  return check.tuSource;
}

/** Builds (or reuses) the harness binary of `file` for `spec`; `source` is a candidate's translation unit. */
export async function buildFor(role: BuildInfo['role'], file: string, spec: BenchSpec, arch: string, o: PrepareOptions, source?: string): Promise<BuildInfo> {
  if (!isAbsolute(file)) file = resolve(o.workspace, file);
  const flags = await jobFlags(o, role === 'baseline' ? file : resolve(o.workspace, o.file));
  o.onProgress?.(`build: ${role} ${basename(file)} for ${arch}`);
  let result: BuildResult;
  try {
    const staged = await stageShared(flags);
    result = await buildHarness({ spec, userFile: file, kernel: spec.kernel, ...(source === undefined ? {} : { userSource: source }) }, { target: o.target, arch, nvcc: flags.nvcc, flags: staged.args, cacheDir: o.buildCacheDir, signal: o.signal });
    result = { ...result, diagnostics: result.diagnostics.map((d) => ({ ...d, file: staged.realPath(d.file) })) };
  } catch (error) {
    throw new JobError('build', `cannot build the harness for ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!result.ok || !result.binary) throw buildFailure(result, file);
  o.onProgress?.(`build: ${role} ${result.cached ? 'cached' : `built in ${(result.durationMs / 1000).toFixed(1)} s`} → ${dirname(result.binary)}`);
  return {
    role,
    file,
    binary: result.binary,
    dir: result.dir,
    harnessFile: result.harnessFile,
    cached: result.cached,
    arch: result.arch,
    ...(result.command ? { command: result.command } : {}),
    durationMs: result.durationMs,
    flags: describeFlags(flags),
  };
}

/**
 * The spec the candidate is built with: the baseline's, with the candidate's own launch when it has one (a rewrite
 * that does 4 elements per thread needs a quarter of the grid). Everything else — arguments, sizes, tolerance,
 * roofline — stays the baseline's, so both sides are checked and timed on the same work.
 */
export function candidateSpec(spec: BenchSpec, launch: LaunchConfig | undefined, origin: string): BenchSpec {
  if (!launch) return spec;
  const withLaunch: BenchSpec = { ...spec, launch };
  const v = validate(withLaunch);
  if (!v.ok) {
    const problems = [...v.errors.map((e) => `${e.path || '/'}: ${e.message}`), ...v.unknowns.map((u) => `${u.path}: "?" — ${u.message}`)];
    throw new JobError('spec', `the candidate's launch (${origin}) cannot be used with the spec of ${spec.kernel}:\n  ${problems.join('\n  ')}`);
  }
  return withLaunch;
}
