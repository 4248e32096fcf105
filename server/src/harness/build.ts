// Builds what the gate runs, through a Target:
//   <cache>/gate-<key>/kp_gate        the gate runtime (runtime/*.cu), once per (nvcc, arch, host compiler)
//   <cache>/<key>/version.cu, version.so   one kernel version (the baseline's file or a candidate) as a small shared
//                                     object, from the shim generate.ts writes; never beside the user's file
// Both are keyed by sha256 of everything that goes into them (sources, the version's file and the local headers it
// includes, flags, nvcc's version string): a hit returns the existing file without running nvcc. Version builds
// are small and independent, so a caller may run many at once (a candidate compiles while another is timed).
// Compile errors come back as diagnostics on the VERSION's file and lines (nvcc reports them there, as the file is
// #included); errors inside the generated code point at the shim in the build folder.
//
// The build folder is written here, with node:fs, and put on the target (Target.put; nothing to do on this machine)
// with the version's file, the local headers it includes and the staged flags; nvcc runs there, in the folder's
// target path, and what it built is fetched back (Target.get), so this machine's cache stays the one source of
// truth: every key includes the target's host, and a run puts the build folders it needs before it starts.
// The cache lives in the user's private folder (targets/private-dir.ts) and a cached object or executable is used
// only when its hash is the one recorded when we built it (targets/owned-files.ts): nothing another user planted is
// loaded or run. nvcc's temporary files go to a scratch folder (TMPDIR) removed when the build ends.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { normalizeArch } from '../check/arch';
import { parseCompilerOutput } from '../check/diagnostics';
import type { CompilerDiagnostic } from '../check/types';
import type { BenchSpec } from '../benchspec/model';
import { defaultArch, listGpus } from '../targets/gpus';
import { forgetOwned, isOwned, recordOwned } from '../targets/owned-files';
import { ensurePrivateDir, privateDir, privateRoot } from '../targets/private-dir';
import type { ExecOptions, ExecResult, SandboxPolicy, Target } from '../targets/target';
import { localPaths } from '../targets/target-paths';
import { generateVersionShim, type GeneratedShim } from './cuda/generate';
import { RUNTIME_DYNAMIC_LIST, RUNTIME_FILES, RUNTIME_SOURCES, VERSION_HEADER, VERSION_HEADER_NAME } from './cuda/runtime';

/** Bumped when the layout of a build folder or the meaning of the key changes. */
const BUILD_FORMAT = 2;
export const DEFAULT_BUILD_TIMEOUT_MS = 180_000;
export const SHIM_SOURCE_NAME = 'version.cu';
export const VERSION_OBJECT_NAME = 'version.so';
export const GATE_EXECUTABLE_NAME = 'kp_gate';
const CANDIDATE_SOURCE_NAME = 'candidate.cu';
const DYNAMIC_LIST_NAME = 'kp_gate.dynlist';

export interface BuildOptions {
  target: Target;
  /** Default `nvcc` (on the target's PATH). */
  nvcc?: string;
  /** `sm_90`, `90`, `9.0`, `sm_90a` …; default: the target's GPU (nvidia-smi, asked once per target), else sm_90. */
  arch?: string;
  /** More nvcc arguments for the version (the user's -I/-D/--use_fast_math …); part of the cache key. */
  flags?: readonly string[];
  /** Default ~/.cache/kernelpilot/builds; a given folder must be private too (owner and mode are checked). */
  cacheDir?: string;
  /** Per nvcc call; default 180 s. The whole nvcc process tree is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Candidate builds run under it (targets/ enforces it); the baseline's and the runtime's do not need one. */
  sandbox?: SandboxPolicy;
}

export interface VersionInput {
  spec: BenchSpec;
  /** Absolute path of the version's file; compiled unchanged. */
  file: string;
  /**
   * What to compile instead of the file on disk: a candidate's translation unit (candidates/check.ts: the user's
   * file with its kernel replaced), written into the build folder as candidate.cu; its `#line` directives keep
   * messages on the user's and the candidate's files.
   */
  source?: string;
  /** Default spec.kernel. */
  kernel?: string;
}

export type DiagnosticOrigin = 'user' | 'harness' | 'runtime' | 'other';

/** A compiler message, with where it belongs: the version's code, the generated shim, the interface header, or elsewhere. */
export interface BuildDiagnostic extends CompilerDiagnostic {
  origin: DiagnosticOrigin;
}

export interface VersionBuild {
  ok: boolean;
  /** The shared object, when ok. */
  object?: string;
  /** The build folder (version.cu and kp_version.cuh are there to read, also after a failure). */
  dir: string;
  shimFile: string;
  kernelExpr: string;
  /** True when an earlier build was reused and nvcc did not run. */
  cached: boolean;
  key: string;
  arch: string;
  diagnostics: BuildDiagnostic[];
  /** nvcc's output (empty on a cache hit). */
  log: string;
  /** The nvcc command line that ran (absent on a cache hit). */
  command?: string;
  durationMs: number;
}

export interface RuntimeBuild {
  executable: string;
  dir: string;
  key: string;
  arch: string;
  cached: boolean;
  command?: string;
  durationMs: number;
  /** Where the toolkit keeps its libraries (libcupti among them), for the runtime's KP_CUPTI_DIRS. */
  toolkitLibraryDirs: string[];
  /** Folders libcupti may be in besides those (older toolkits keep it under extras/CUPTI). */
  cuptiDirs: string[];
}

export type BuildErrorKind = 'spec' | 'nvcc-not-found' | 'invalid-arch' | 'timeout' | 'cancelled' | 'runtime' | 'io';

/** A build that could not happen at all (as opposed to a compile error, which is a VersionBuild with ok false). */
export class BuildError extends Error {
  constructor(
    readonly kind: BuildErrorKind,
    message: string,
    readonly log = '',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BuildError';
  }
}

/** nvcc's architecture flags: `-arch=sm_90`, or the -gencode form for sm_90a-style targets (HOPPER.md: the shorthand also runs a plain pass). */
export function archFlags(arch: string): string[] {
  const m = /^sm_(\d+)([af]?)$/.exec(arch);
  if (!m) throw new BuildError('invalid-arch', `'${arch}' is not a GPU architecture (expected e.g. sm_90)`);
  return m[2] ? [`-gencode=arch=compute_${m[1]}${m[2]},code=sm_${m[1]}${m[2]}`] : [`-arch=${arch}`];
}

/** The fixed part of every compile: what the brief and METHOD.md ask for (optimised, line info for ncu, C++17). */
export function baseFlags(arch: string): string[] {
  return ['-O3', '-lineinfo', ...archFlags(arch), '-std=c++17'];
}

/**
 * How a version becomes a shared object the runtime can dlopen beside another: position-independent, every symbol
 * hidden but the one entry point (so two versions' same-named kernels never bind to each other), and the CUDA
 * runtime shared, so the runtime and all versions share one context.
 */
export function versionLinkFlags(libDirs: readonly string[]): string[] {
  return ['-shared', '-Xcompiler', '-fPIC', '-Xcompiler', '-fvisibility=hidden', '-cudart', 'shared', ...rpathFlags(libDirs)];
}

function rpathFlags(libDirs: readonly string[]): string[] {
  return libDirs.flatMap((d) => ['-Xlinker', `-rpath=${d}`]);
}

async function resolveArch(options: BuildOptions): Promise<string> {
  const arch = normalizeArch(options.arch ?? (await targetArch(options.target, options.signal)) ?? 'sm_90');
  if (!arch) throw new BuildError('invalid-arch', `'${options.arch}' is not a GPU architecture (expected e.g. sm_90, 90 or 9.0)`);
  return arch;
}

export async function buildVersion(input: VersionInput, options: BuildOptions): Promise<VersionBuild> {
  const started = performance.now();
  const arch = await resolveArch(options);
  if (!isAbsolute(input.file)) throw new BuildError('spec', `the kernel's file must be an absolute path, got '${input.file}'`);
  let versionText: string;
  try {
    versionText = input.source ?? readFileSync(input.file, 'utf8');
  } catch (error) {
    throw new BuildError('io', `cannot read ${input.file}: ${(error as Error).message}`, '', { cause: error });
  }
  let shim: GeneratedShim;
  try {
    shim = generateVersionShim(input.spec, input.file, input.kernel ?? input.spec.kernel, { includeAs: input.source === undefined ? options.target.targetPath(input.file) : CANDIDATE_SOURCE_NAME });
  } catch (error) {
    throw new BuildError('spec', `cannot generate the shim for ${input.kernel ?? input.spec.kernel}: ${(error as Error).message}`, '', { cause: error });
  }

  const nvcc = options.nvcc ?? 'nvcc';
  const flags = [...(options.flags ?? [])];
  const cacheDir = await privateCache(options.cacheDir);
  const toolkit = await toolkitInfo(options.target, nvcc, options);
  const staged = stagedPaths(flags);
  const compile = [...baseFlags(arch), ...versionLinkFlags(toolkit.libraryDirs), ...flags];
  const headers = localHeaders(input.file, versionText, includeDirs(flags));
  const key = sha256(
    JSON.stringify({
      format: BUILD_FORMAT,
      host: options.target.host,
      source: shim.source,
      header: VERSION_HEADER,
      version: sha256(versionText),
      headers,
      flags: compile,
      nvcc: toolkit.version,
    }),
  );
  const dir = join(cacheDir, key.slice(0, 24));
  const shimFile = join(dir, SHIM_SOURCE_NAME);
  const object = join(dir, VERSION_OBJECT_NAME);
  const base = { dir, shimFile, kernelExpr: shim.kernelExpr, key, arch };
  if (await isOwned(object)) {
    return { ...base, ok: true, object, cached: true, diagnostics: [], log: '', durationMs: performance.now() - started };
  }

  return once(dir, async () => {
    const candidate: Record<string, string> = input.source === undefined ? {} : { [CANDIDATE_SOURCE_NAME]: input.source };
    await writeFiles(dir, { [SHIM_SOURCE_NAME]: shim.source, [VERSION_HEADER_NAME]: VERSION_HEADER, ...candidate });
    // Into a private name first, then renamed: a concurrent build or a killed nvcc never leaves a half-written object under the real name.
    const partial = `${VERSION_OBJECT_NAME}.partial-${randomBytes(6).toString('hex')}.so`;
    const sources = [dir, ...(input.source === undefined ? [input.file] : []), ...Object.keys(headers), ...staged];
    const args = [...onTarget(options.target, compile, staged), '-o', partial, SHIM_SOURCE_NAME];
    // A sandboxed build may write its own build folder and nothing else of ours.
    await forgetOwned(object);
    const result = await nvccIn(options, nvcc, args, dir, sources, options.sandbox);
    throwIfNotRun(result, nvcc, options);
    const log = localPaths(`${result.stdout}${result.stderr}`, options.target, sources);
    const ok = result.exitCode === 0 && (await fetched(options, dir, partial));
    if (ok) {
      await rename(join(dir, partial), object);
      await recordOwned(object);
    } else await rm(join(dir, partial), { force: true });
    // Messages land on the files themselves (a candidate's unit says where with #line): quote their own lines.
    const fileText = input.source === undefined ? versionText : readOr(input.file, '');
    const diagnostics = mapDiagnostics(log, { dir, userFile: input.file, userText: fileText, shimFile, shimText: shim.source });
    if (!ok && !diagnostics.some((d) => d.severity === 'error')) {
      diagnostics.push({ file: input.file, line: 0, severity: 'error', source: 'nvcc', origin: 'other', message: `nvcc failed (exit ${result.exitCode}) without a message we could place:\n${tail(log, 20)}` });
    }
    return { ...base, ok, ...(ok ? { object } : {}), cached: false, diagnostics, log, command: result.command, durationMs: performance.now() - started };
  });
}

/** The gate runtime executable for these settings, built on first use and reused after. */
export async function buildGateRuntime(options: BuildOptions): Promise<RuntimeBuild> {
  const started = performance.now();
  const arch = await resolveArch(options);
  const nvcc = options.nvcc ?? 'nvcc';
  const cacheDir = await privateCache(options.cacheDir);
  const toolkit = await toolkitInfo(options.target, nvcc, options);
  const compile = [
    ...baseFlags(arch),
    ...hostCompilerFlags(options.flags ?? []),
    '-cudart', 'shared',
    '-Xcompiler', '-fvisibility=hidden',
    '-Xlinker', `--dynamic-list=${DYNAMIC_LIST_NAME}`,
    ...rpathFlags(toolkit.libraryDirs),
  ];
  const key = sha256(JSON.stringify({ format: BUILD_FORMAT, host: options.target.host, files: RUNTIME_FILES, dynamicList: RUNTIME_DYNAMIC_LIST, flags: compile, nvcc: toolkit.version }));
  const dir = join(cacheDir, `gate-${key.slice(0, 24)}`);
  const executable = join(dir, GATE_EXECUTABLE_NAME);
  const base = { executable, dir, key, arch, toolkitLibraryDirs: toolkit.libraryDirs, cuptiDirs: [...toolkit.libraryDirs, ...toolkit.cuptiDirs] };
  if (await isOwned(executable)) return { ...base, cached: true, durationMs: performance.now() - started };
  return once(dir, async () => {
    await writeFiles(dir, { ...RUNTIME_FILES, [DYNAMIC_LIST_NAME]: RUNTIME_DYNAMIC_LIST });
    const partial = `${GATE_EXECUTABLE_NAME}.partial-${randomBytes(6).toString('hex')}`;
    await forgetOwned(executable);
    const result = await nvccIn(options, nvcc, [...compile, '-o', partial, ...RUNTIME_SOURCES, '-ldl'], dir, [dir]);
    throwIfNotRun(result, nvcc, options);
    const log = localPaths(`${result.stdout}${result.stderr}`, options.target, [dir]);
    if (result.exitCode !== 0 || !(await fetched(options, dir, partial))) {
      await rm(join(dir, partial), { force: true });
      if (/Unsupported gpu architecture|not defined for option 'gpu-architecture'/i.test(log)) {
        throw new BuildError('invalid-arch', `nvcc on target '${options.target.name}' cannot build for ${arch}: ${tail(log, 3)}`, log);
      }
      throw new BuildError('runtime', `building the gate runtime failed on target '${options.target.name}' (${result.command}):\n${tail(log, 30)}`, log);
    }
    await rename(join(dir, partial), executable);
    await recordOwned(executable);
    return { ...base, cached: false, command: result.command, durationMs: performance.now() - started };
  });
}

/**
 * The target's GPU architecture from nvidia-smi (`sm_90` for an H100), or undefined when it has no GPU or
 * no nvidia-smi; callers then build for sm_90.
 */
export async function detectArch(target: Target, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string | undefined> {
  const gpus = await listGpus(target, options);
  return gpus.length > 0 ? normalizeArch(defaultArch(gpus)) : undefined;
}

const detected = new WeakMap<Target, Promise<string | undefined>>();

/** detectArch, once per target for the life of the process (it runs nvidia-smi). */
function targetArch(target: Target, signal?: AbortSignal): Promise<string | undefined> {
  let arch = detected.get(target);
  if (!arch) {
    arch = detectArch(target, { signal });
    detected.set(target, arch);
    // A cancelled probe says nothing about the GPU: ask again next time.
    void arch.then((value) => {
      if (value === undefined && signal?.aborted) detected.delete(target);
    });
  }
  return arch;
}

/** Host-compiler choices must match between the runtime and the versions it loads. */
function hostCompilerFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    if (f === '-ccbin' || f === '--compiler-bindir') out.push(f, flags[i + 1] ?? '');
    if (f.startsWith('-ccbin=') || f.startsWith('--compiler-bindir=')) out.push(f);
  }
  return out;
}

// ---------------------------------------------------------------- nvcc

interface ToolkitInfo {
  /** `nvcc --version`: part of every key. */
  version: string;
  /** The toolkit's library folders (from `nvcc -dryrun`), for rpaths and for finding libcupti. */
  libraryDirs: string[];
  /** Where older toolkits keep libcupti: <toolkit>/extras/CUPTI/lib64. */
  cuptiDirs: string[];
}

const toolkits = new WeakMap<Target, Map<string, Promise<ToolkitInfo>>>();

/** Asked once per target and compiler path for the life of the process. */
export function toolkitInfo(target: Target, nvcc: string, options: Pick<BuildOptions, 'signal' | 'target' | 'timeoutMs'>): Promise<ToolkitInfo> {
  let perTarget = toolkits.get(target);
  if (!perTarget) toolkits.set(target, (perTarget = new Map()));
  let info = perTarget.get(nvcc);
  if (!info) {
    info = (async () => {
      const result = await withTargetScratch(target, 'nvcc', options.signal, (cwd) => target.exec(nvcc, ['--version'], { cwd, timeoutMs: 30_000, signal: options.signal }));
      throwIfNotRun(result, nvcc, options);
      if (result.exitCode !== 0) throw new BuildError('nvcc-not-found', `'${nvcc} --version' failed on target '${target.name}': ${tail(result.stderr || result.stdout, 5)}`);
      // -dryrun prints the commands nvcc would run without running any; their LIBRARIES line names the toolkit's -L folders.
      const dry = await withTargetScratch(target, 'nvcc', options.signal, (cwd) => target.exec(nvcc, ['-dryrun', '-x', 'cu', '-o', 'kp-dryrun', '/dev/null'], { cwd, timeoutMs: 30_000, signal: options.signal }));
      throwIfNotRun(dry, nvcc, options);
      const printed = `${dry.stdout}${dry.stderr}`;
      const top = /^#\$ TOP=(.*)$/m.exec(printed)?.[1]?.trim();
      return { version: result.stdout.trim(), libraryDirs: libraryDirsOf(printed), cuptiDirs: top ? [resolve(top, 'extras/CUPTI/lib64')] : [] };
    })();
    perTarget.set(nvcc, info);
    info.catch(() => perTarget.delete(nvcc)); // A failure (cancel, missing nvcc) is asked again next time.
  }
  return info;
}

/** The -L folders of nvcc's `#$ LIBRARIES=` line, without the driver stubs, normalised. */
export function libraryDirsOf(dryrun: string): string[] {
  const line = /^#\$ LIBRARIES=(.*)$/m.exec(dryrun)?.[1] ?? '';
  const dirs = [...line.matchAll(/-L"?([^"\s]+)"?/g)].map((m) => resolve(m[1])).filter((d) => !/\/stubs$/.test(d));
  return [...new Set(dirs)];
}

/** The cache folder, checked private (a shared one let another user plant what we link and run). */
async function privateCache(given: string | undefined): Promise<string> {
  try {
    return given === undefined ? await privateDir('builds') : await ensurePrivateDir(given, 'build cache');
  } catch (error) {
    throw new BuildError('io', (error as Error).message, '', { cause: error });
  }
}

/** Runs `work` with a scratch folder on the target, removed when it ends, however it ends. */
async function withTargetScratch<T>(target: Target, purpose: string, signal: AbortSignal | undefined, work: (dir: string) => Promise<T>): Promise<T> {
  const scratch = await target.createScratch(purpose, { signal });
  try {
    return await work(scratch.dir);
  } finally {
    await scratch.remove();
  }
}

/**
 * One nvcc call in the target's copy of `dir` (a build folder), after `sources` (the folder, the version's files,
 * staged flags) were put there; its temporary files in a target scratch folder removed when it ends (also on cancel
 * and timeout). Sandboxed (candidate builds), it may write that build folder and its scratch, nothing else.
 */
async function nvccIn(o: BuildOptions, nvcc: string, args: string[], dir: string, sources: readonly string[], sandbox?: SandboxPolicy): Promise<ExecResult> {
  try {
    await o.target.put(sources, { signal: o.signal });
  } catch (error) {
    throw new BuildError(o.signal?.aborted ? 'cancelled' : 'io', `cannot copy the build's files to target '${o.target.name}': ${(error as Error).message}`, '', { cause: error });
  }
  const cwd = o.target.targetPath(dir);
  return withTargetScratch(o.target, 'build', o.signal, (tmp) => {
    const exec: ExecOptions = { cwd, env: { TMPDIR: tmp }, timeoutMs: o.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS, signal: o.signal, compile: true };
    if (sandbox) exec.sandbox = { ...sandbox, writable: [...sandbox.writable, cwd, tmp] };
    return o.target.exec(nvcc, args, exec);
  });
}

/** Whether nvcc's output `name` in the target's copy of `dir` could be fetched back into `dir` (nothing to fetch on this machine). */
async function fetched(o: BuildOptions, dir: string, name: string): Promise<boolean> {
  try {
    await o.target.get(join(o.target.targetPath(dir), name), join(dir, name), { signal: o.signal });
  } catch {
    return false;
  }
  return existsSync(join(dir, name));
}

/** Flags that name our own staged files (include links, the macro header): they are put on the target with the build. */
function stagedPaths(flags: readonly string[]): string[] {
  const root = `${privateRoot()}/`;
  return flags.filter((f) => f.startsWith(root));
}

/** The flags as the target sees them: staged paths mapped to their copies there. */
function onTarget(target: Target, flags: readonly string[], staged: readonly string[]): string[] {
  return flags.map((f) => (staged.includes(f) ? target.targetPath(f) : f));
}

function throwIfNotRun(result: ExecResult, nvcc: string, options: Pick<BuildOptions, 'target' | 'timeoutMs'>): void {
  const where = `target '${options.target.name}'`;
  if (result.notFound) throw new BuildError('nvcc-not-found', `nvcc not found on ${where} (looked for '${nvcc}'): install the CUDA toolkit or set the nvcc path`);
  if (result.cancelled) throw new BuildError('cancelled', `build cancelled (${result.command})`);
  if (result.timedOut) {
    const seconds = Math.round((options.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS) / 1000);
    throw new BuildError('timeout', `nvcc did not finish within ${seconds} s on ${where} (${result.command})`, `${result.stdout}${result.stderr}`);
  }
}

// ---------------------------------------------------------------- diagnostics

interface MapContext {
  dir: string;
  userFile: string;
  userText: string;
  shimFile: string;
  shimText: string;
}

function mapDiagnostics(log: string, c: MapContext): BuildDiagnostic[] {
  const header = join(c.dir, VERSION_HEADER_NAME);
  const texts = new Map<string, string[]>([
    [resolve(c.userFile), c.userText.split(/\r?\n/)],
    [resolve(c.shimFile), c.shimText.split(/\r?\n/)],
    [resolve(header), VERSION_HEADER.split(/\r?\n/)],
  ]);
  const raw = parseCompilerOutput(log, { mainFile: c.userFile, cwd: c.dir, sourceLine: (file, line) => texts.get(resolve(file))?.[line] });
  return raw.map((d) => {
    const file = resolve(d.file);
    const origin: DiagnosticOrigin = file === resolve(c.userFile) ? 'user' : file === resolve(c.shimFile) ? 'harness' : file === resolve(header) ? 'runtime' : 'other';
    const out: BuildDiagnostic = { ...d, origin };
    if (origin === 'runtime' || origin === 'harness') {
      // A type mismatch fails inside kp::DevPtr; the shim line it was instantiated from names the argument.
      // nvcc writes `... at line 59 of version.cu` (file unquoted, relative to where it ran).
      const at = [...d.message.matchAll(/at line (\d+) of "?([^"\s]+)"?/g)].map((m) => ({ line: Number(m[1]) - 1, file: resolve(c.dir, m[2]) })).find((r) => r.file === resolve(c.shimFile));
      const text = at ? texts.get(resolve(c.shimFile))?.[at.line]?.trim() : undefined;
      if (at && text) out.message += `\n(generated shim line ${at.line + 1}: ${text})`;
    }
    return out;
  });
}

// ---------------------------------------------------------------- small helpers

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split(/\r?\n/).slice(-lines).join('\n');
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  } catch (error) {
    throw new BuildError('io', `cannot write the build folder ${dir}: ${(error as Error).message}`, '', { cause: error });
  }
}

/** One build per folder at a time within this process: a second caller waits for the first's result. */
const inFlight = new Map<string, Promise<unknown>>();
function once<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const running = inFlight.get(dir) as Promise<T> | undefined;
  if (running) return running;
  const promise = work().finally(() => inFlight.delete(dir));
  inFlight.set(dir, promise);
  return promise;
}

/** -I directories among the flags (`-Idir`, `-I dir`, `--include-path=dir`). */
export function includeDirs(flags: readonly string[]): string[] {
  const dirs: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    if (f === '-I' || f === '--include-path') dirs.push(flags[++i] ?? '');
    else if (f.startsWith('--include-path=')) dirs.push(f.slice('--include-path='.length));
    else if (f.startsWith('-I')) dirs.push(f.slice(2));
  }
  return dirs.filter(Boolean).map((d) => resolve(d));
}

/**
 * Hashes of the local headers the version's file includes with quotes, followed transitively, so that editing
 * a header the kernel uses invalidates the cached build. System headers (<...>) are covered by nvcc's version.
 */
function localHeaders(file: string, text: string, dirs: readonly string[]): Record<string, string> {
  const seen: Record<string, string> = {};
  const queue: Array<{ file: string; text: string }> = [{ file, text }];
  while (queue.length > 0 && Object.keys(seen).length < 500) {
    const current = queue.shift() as { file: string; text: string };
    for (const m of current.text.matchAll(/^\s*#\s*include\s*"([^"]+)"/gm)) {
      const candidates = [resolve(dirname(current.file), m[1]), ...dirs.map((d) => resolve(d, m[1]))];
      const found = candidates.find((c) => existsSync(c));
      if (!found || found in seen) continue;
      let content: string;
      try {
        content = readFileSync(found, 'utf8');
      } catch {
        continue; // Unreadable: nvcc will say so.
      }
      seen[found] = sha256(content);
      queue.push({ file: found, text: content });
    }
  }
  return seen;
}
