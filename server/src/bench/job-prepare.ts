// The first half of a bench job, shared by `bench`, `compare` and --dry-run: which kernel, which spec, and the
// kernel versions built for the gate. Everything here runs without a GPU; failures become JobErrors whose message
// says what to do, so the CLI can print them as they are.

import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { checkCandidate, describeRefusal } from '../candidates/check';
import { describeFlagRefusal, describeFlags, resolveCompileFlags, type FlagRequest, type ResolvedFlags } from '../check/compile-flags';
import { stageShared } from '../check/stage-flags';
import type { CompilerDiagnostic } from '../check/types';
import { buildGateRuntime, buildVersion, type RuntimeBuild, type VersionBuild } from '../harness/build';
import { discover } from '../kernels/discover';
import { unreadableReason } from '../kernels/language';
import type { Kernel } from '../kernels/model';
import type { BenchSpec, LaunchConfig } from '../benchspec/model';
import { inferSpec } from '../benchspec/infer';
import { findSpec, loadSpec, specPath } from '../benchspec/store';
import { validate } from '../benchspec/validate';
import type { SandboxPolicy, Target } from '../targets/target';

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
  role: 'baseline' | 'candidate' | 'runtime';
  /** The kernel's file (the runtime: its executable). */
  file: string;
  /** What ran: the version's shared object, or the runtime executable. */
  binary: string;
  dir: string;
  /** The generated shim the version was compiled from (the runtime: its main source). */
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
    // Without --kernel the file's one CUDA or Triton kernel is meant; a KernelBench task file gets the refusal naming its models.
    const runnable = kernels.filter((k) => k.language !== 'kernelbench');
    const unique = [...new Set(runnable.map((k) => k.qualifiedName))];
    if (unique.length > 1) throw new JobError('kernel', `${file} has ${unique.length} ${runnable[0].language === 'cuda' ? 'CUDA' : 'Triton'} kernels (${unique.join(', ')}): name one with --kernel`);
    kernel = runnable[0];
    if (!kernel) throw new JobError('kernel', notRunnableMessage(kernels));
  } else {
    kernel = kernels.find((k) => k.qualifiedName === wanted) ?? kernels.find((k) => k.name === wanted);
    if (!kernel) throw new JobError('kernel', `${file} has no kernel '${wanted}'; it has: ${names.join(', ')}${noted}`);
  }
  if (kernel.language === 'kernelbench') throw new JobError('kernel', notRunnableMessage([kernel]));
  return { kernel, text };
}

/** The same refusal with or without --kernel: a KernelBench model is gated as a task, not as a kernel. */
function notRunnableMessage(kernels: readonly Kernel[]): string {
  const names = [...new Set(kernels.map((k) => k.qualifiedName))];
  const described = names.length === 1 ? `${names[0]} is a KernelBench model` : `${names.join(', ')} are KernelBench models`;
  return `${described}: gate a task's ModelNew solutions with 'kernelpilot kernelbench TASK.py --solutions DIR'`;
}

function specFixHint(file: string, kernel: string, workspace: string): string {
  const shown = relative(workspace, file) || file;
  return `run 'kernelpilot spec ${shown} --kernel ${kernel} --write', then edit ${relative(workspace, specPath(workspace, kernel))} (or pass --spec FILE)`;
}

/** The spec to run: explicit, stored, or inferred (refused while inference left "?" fields). */
export async function prepareSpec(job: PrepareOptions): Promise<PreparedSpec> {
  const file = resolve(job.workspace, job.file);
  let explicit: Awaited<ReturnType<typeof loadSpec>> | undefined;
  const explicitPath = job.specPath ? resolve(job.workspace, job.specPath) : undefined;
  if (explicitPath) {
    try {
      explicit = await loadSpec(explicitPath);
    } catch (error) {
      throw new JobError('spec', (error as Error).message, { cause: error });
    }
  }
  const { kernel, text } = await resolveKernel(file, job.kernel ?? explicit?.spec?.kernel);
  const path = explicitPath ?? (await findSpec(job.workspace, { qualifiedName: kernel.qualifiedName, file }));
  if (path) {
    job.onProgress?.(`spec: ${path}`);
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
  const inferred = inferSpec(kernel, { fileText: text, workspaceRoot: job.workspace });
  if (inferred.unknowns.length) {
    const list = inferred.unknowns.map((u) => `${u.path}: ${u.message}`).join('\n  ');
    throw new JobError('spec', `no spec for ${kernel.qualifiedName}, and inference left ${inferred.unknowns.length} field${inferred.unknowns.length === 1 ? '' : 's'} unknown:\n  ${list}\n${specFixHint(file, kernel.qualifiedName, job.workspace)}`);
  }
  const v = validate(inferred.spec);
  if (!v.ok) {
    throw new JobError('spec', `the inferred spec for ${kernel.qualifiedName} is not runnable:\n  ${v.errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}\n${specFixHint(file, kernel.qualifiedName, job.workspace)}`);
  }
  job.onProgress?.(`spec: inferred for ${kernel.qualifiedName} (no spec file; check its assumptions with 'kernelpilot spec')`);
  return { file, text, kernel, spec: inferred.spec, source: { kind: 'inferred', assumptions: inferred.assumptions } };
}

/** The CUDA gate builds CUDA kernels; a Triton kernel is refused here with where it does run. */
export function requireCuda(prepared: PreparedSpec): PreparedSpec {
  if (prepared.kernel.language !== 'cuda') throw new JobError('kernel', `${prepared.kernel.qualifiedName} is a Triton kernel: it runs through the Triton gate (kernelpilot bench/compare/optimize on its .py file; compare --dry-run prints the generated launcher), not the CUDA build`);
  return prepared;
}

/** The compiler's errors for `file`, the first ten, one per line. */
export function buildErrors(result: VersionBuild): string[] {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  const shown = (errors.length ? errors : result.diagnostics).slice(0, 10).map((d) => `${d.file}:${d.line + 1}${d.column !== undefined ? `:${d.column + 1}` : ''}: ${d.severity}: ${d.message}`);
  return shown.length ? shown : result.log.trim().split('\n').slice(-10);
}

function buildFailure(result: VersionBuild, file: string): JobError {
  return new JobError('build', `building ${file} for the gate failed (build folder ${result.dir}):\n  ${buildErrors(result).join('\n  ')}`, {
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
 * What a sandboxed candidate build may read besides the system and toolkit: the candidate's and the baseline's
 * folders, the include folders of the job's flags, and where those flags are staged (links, the macro header).
 */
export async function candidateReadable(job: PrepareOptions, prepared: PreparedSpec, candidateFile: string): Promise<string[]> {
  const flags = await jobFlags(job, resolve(job.workspace, job.file));
  const staged = await stageShared(flags);
  return [...new Set([dirname(candidateFile), dirname(prepared.file), ...flags.includeDirs, ...flags.systemIncludeDirs, ...(staged.dir ? [staged.dir] : [])])];
}

/**
 * Checks a candidate before anything compiles (candidates/check.ts): it must be kernel code that can replace the
 * baseline's kernel. Returns the translation unit to build it as: the baseline file with its kernel replaced.
 */
export async function prepareCandidate(prepared: PreparedSpec, candidateFile: string, job: PrepareOptions): Promise<string> {
  const file = resolve(job.workspace, candidateFile);
  const text = await readText(file);
  const check = await checkCandidate(text, { file, baseline: { file: prepared.file, text: prepared.text, kernel: prepared.kernel }, templateArgs: prepared.spec.templateArgs });
  if (!check.ok || check.tuSource === undefined) throw new JobError('candidate', describeRefusal(file, check.problems));
  job.onProgress?.(`candidate: ${basename(file)} is kernel code; built in place of ${prepared.kernel.qualifiedName} in ${basename(prepared.file)}`);
  return check.tuSource;
}

export interface BuildForOptions extends PrepareOptions {
  /** Candidate builds run sandboxed. */
  sandbox?: SandboxPolicy;
  /** A candidate's own nvcc options (the optimizer's, from its allow-list), after the user's flags. */
  extraFlags?: readonly string[];
}

/**
 * Builds (or reuses) `file` as a kernel version for `spec` (`source`: a candidate's translation unit, built in its
 * place) with the job's flags, the static check's (jobFlags); a compile error comes back as `failed`, not thrown.
 */
export async function buildVersionFor(role: 'baseline' | 'candidate', file: string, spec: BenchSpec, arch: string, job: BuildForOptions, source?: string): Promise<{ info?: BuildInfo; failed?: VersionBuild }> {
  if (!isAbsolute(file)) file = resolve(job.workspace, file);
  const flags = await jobFlags(job, resolve(job.workspace, job.file));
  job.onProgress?.(`build: ${role} ${basename(file)} for ${arch}`);
  let result: VersionBuild;
  try {
    const staged = await stageShared(flags);
    result = await buildVersion(
      { spec, file, kernel: spec.kernel, ...(source === undefined ? {} : { source }) },
      { target: job.target, arch, nvcc: flags.nvcc, cacheDir: job.buildCacheDir, signal: job.signal, flags: [...staged.args, ...(job.extraFlags ?? [])], ...(job.sandbox ? { sandbox: job.sandbox } : {}) },
    );
    result = { ...result, diagnostics: result.diagnostics.map((d) => ({ ...d, file: staged.realPath(d.file) })) };
  } catch (error) {
    throw new JobError('build', `cannot build ${file} for the gate: ${(error as Error).message}`, { cause: error });
  }
  if (!result.ok || !result.object) return { failed: result };
  job.onProgress?.(`build: ${role} ${result.cached ? 'cached' : `built in ${(result.durationMs / 1000).toFixed(1)} s`} → ${dirname(result.object)}`);
  return {
    info: {
      role,
      file,
      binary: result.object,
      dir: result.dir,
      harnessFile: result.shimFile,
      cached: result.cached,
      arch: result.arch,
      ...(result.command ? { command: result.command } : {}),
      durationMs: result.durationMs,
      flags: describeFlags(flags),
    },
  };
}

/** Builds (or reuses) a version; a compile error is a JobError (the user's own file must build; --dry-run). */
export async function buildFor(role: 'baseline' | 'candidate', file: string, spec: BenchSpec, arch: string, job: BuildForOptions, source?: string): Promise<BuildInfo> {
  const { info, failed } = await buildVersionFor(role, file, spec, arch, job, source);
  if (failed || !info) throw buildFailure(failed as VersionBuild, file);
  return info;
}

/** Builds (or reuses) the gate runtime. */
export async function buildRuntimeFor(arch: string, job: PrepareOptions): Promise<{ info: BuildInfo; runtime: RuntimeBuild }> {
  let runtime: RuntimeBuild;
  let info: BuildInfo;
  try {
    // The runtime holds no user code: of the user's flags only the nvcc and host-compiler choices matter to it.
    const flags = await jobFlags(job, resolve(job.workspace, job.file));
    runtime = await buildGateRuntime({ target: job.target, arch, nvcc: flags.nvcc, cacheDir: job.buildCacheDir, signal: job.signal, flags: flags.args });
    info = {
      role: 'runtime',
      file: runtime.executable,
      binary: runtime.executable,
      dir: runtime.dir,
      harnessFile: `${runtime.dir}/kp_gate.cu`,
      cached: runtime.cached,
      arch: runtime.arch,
      ...(runtime.command ? { command: runtime.command } : {}),
      durationMs: runtime.durationMs,
      flags: describeFlags(flags),
    };
  } catch (error) {
    throw new JobError('build', `cannot build the gate runtime: ${(error as Error).message}`, { cause: error });
  }
  job.onProgress?.(`build: gate runtime ${runtime.cached ? 'cached' : `built in ${(runtime.durationMs / 1000).toFixed(1)} s`} → ${runtime.dir}`);
  return { info, runtime };
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
