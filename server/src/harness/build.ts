// Builds the CUDA harness binary for one kernel of one user file, through a Target:
//   <cache>/runtime-<key>/kp_runtime.o   the fixed runtime, compiled once per (nvcc, arch, host compiler)
//   <cache>/<key>/harness.cu, kp_runtime.cuh, harness   one folder per distinct build, never beside the user's file
// A build is keyed by sha256 of (harness source, user file and the local headers it includes, flags, nvcc's
// version string, runtime key): a hit returns the existing binary without running nvcc. Compile errors come
// back as diagnostics on the USER's file and lines (nvcc reports them there, as the file is #included);
// errors inside the generated code point at the harness file in the build folder.
//
// The build folder is written with node:fs, so the target must see this machine's file system (LocalTarget
// does). Only the nvcc calls go through the target.
// The cache lives in the user's private folder (targets/private-dir.ts) and a cached object or binary is used only
// when its hash is the one recorded when we built it (targets/owned-files.ts): nothing another user planted is
// linked or run. nvcc's temporary files go to a scratch folder (TMPDIR) removed when the build ends.
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
import { ensurePrivateDir, privateDir } from '../targets/private-dir';
import { withScratch } from '../targets/scratch';
import type { ExecOptions, ExecResult, Target } from '../targets/target';
import { generateCudaHarness, type GeneratedHarness } from './cuda/generate';
import { RUNTIME_HEADER, RUNTIME_HEADER_NAME, RUNTIME_SOURCE, RUNTIME_SOURCE_NAME } from './cuda/runtime';

/** Bumped when the layout of a build folder or the meaning of the key changes. */
const BUILD_FORMAT = 1;
export const DEFAULT_BUILD_TIMEOUT_MS = 180_000;
export const HARNESS_SOURCE_NAME = 'harness.cu';
export const HARNESS_BINARY_NAME = 'harness';
const RUNTIME_OBJECT_NAME = 'kp_runtime.o';
const CANDIDATE_SOURCE_NAME = 'candidate.cu';

export interface BuildOptions {
  target: Target;
  /** Default `nvcc` (on the target's PATH). */
  nvcc?: string;
  /** `sm_90`, `90`, `9.0`, `sm_90a` …; default: the target's GPU (nvidia-smi, asked once per target), else sm_90. */
  arch?: string;
  /** More nvcc arguments for the harness (the user's -I/-D/--use_fast_math …); part of the cache key. */
  flags?: readonly string[];
  /** Default ~/.cache/kernelpilot/builds; a given folder must be private too (owner and mode are checked). */
  cacheDir?: string;
  /** Per nvcc call; default 180 s. The whole nvcc process tree is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BuildInput {
  spec: BenchSpec;
  /** Absolute path of the user's file; compiled unchanged. */
  userFile: string;
  /**
   * What to compile instead of the file on disk: a candidate's translation unit (candidates/check.ts: the user's
   * file with its kernel replaced). Written into the build folder as candidate.cu; `#line` directives in it keep
   * messages on the user's and the candidate's files.
   */
  userSource?: string;
  /** Default spec.kernel. */
  kernel?: string;
}

export type DiagnosticOrigin = 'user' | 'harness' | 'runtime' | 'other';

/** A compiler message, with where it belongs: the user's code, the generated harness, the runtime, or elsewhere (a header, the toolchain). */
export interface BuildDiagnostic extends CompilerDiagnostic {
  origin: DiagnosticOrigin;
}

export interface BuildResult {
  ok: boolean;
  /** The harness binary, when ok. */
  binary?: string;
  /** The build folder (harness.cu and kp_runtime.cuh are there to read, also after a failure). */
  dir: string;
  harnessFile: string;
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

export type BuildErrorKind = 'spec' | 'nvcc-not-found' | 'invalid-arch' | 'timeout' | 'cancelled' | 'runtime' | 'io';

/** A build that could not happen at all (as opposed to a compile error, which is a BuildResult with ok false). */
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

export async function buildHarness(input: BuildInput, options: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  const arch = normalizeArch(options.arch ?? (await targetArch(options.target, options.signal)) ?? 'sm_90');
  if (!arch) throw new BuildError('invalid-arch', `'${options.arch}' is not a GPU architecture (expected e.g. sm_90, 90 or 9.0)`);
  if (!isAbsolute(input.userFile)) throw new BuildError('spec', `the user file must be an absolute path, got '${input.userFile}'`);
  let userText: string;
  try {
    userText = input.userSource ?? readFileSync(input.userFile, 'utf8');
  } catch (error) {
    throw new BuildError('io', `cannot read ${input.userFile}: ${(error as Error).message}`, '', { cause: error });
  }
  let generated: GeneratedHarness;
  try {
    generated = generateCudaHarness(input.spec, input.userFile, input.kernel ?? input.spec.kernel, input.userSource === undefined ? {} : { includeAs: CANDIDATE_SOURCE_NAME });
  } catch (error) {
    throw new BuildError('spec', `cannot generate the harness for ${input.kernel ?? input.spec.kernel}: ${(error as Error).message}`, '', { cause: error });
  }

  const nvcc = options.nvcc ?? 'nvcc';
  const flags = [...(options.flags ?? [])];
  const cacheDir = await privateCache(options.cacheDir);
  const version = await nvccVersion(options.target, nvcc, options);
  const runtime = runtimePlan({ nvcc, arch, cacheDir, version, hostFlags: hostCompilerFlags(flags) });

  const key = sha256(
    JSON.stringify({
      format: BUILD_FORMAT,
      source: generated.source,
      runtime: runtime.key,
      user: sha256(userText),
      headers: localHeaders(input.userFile, userText, includeDirs(flags)),
      flags: [...baseFlags(arch), ...flags],
      nvcc: version,
    }),
  );
  const dir = join(cacheDir, key.slice(0, 24));
  const harnessFile = join(dir, HARNESS_SOURCE_NAME);
  const binary = join(dir, HARNESS_BINARY_NAME);
  const base = { dir, harnessFile, kernelExpr: generated.kernelExpr, key, arch };
  if (await isOwned(binary)) {
    return { ...base, ok: true, binary, cached: true, diagnostics: [], log: '', durationMs: performance.now() - started };
  }

  return once(dir, async () => {
    await ensureRuntime(runtime, options);
    const candidate: Record<string, string> = input.userSource === undefined ? {} : { [CANDIDATE_SOURCE_NAME]: input.userSource };
    await writeFiles(dir, { [HARNESS_SOURCE_NAME]: generated.source, [RUNTIME_HEADER_NAME]: RUNTIME_HEADER, ...candidate });
    // Into a private name first, then renamed: a concurrent build or a killed nvcc never leaves a half-written binary under the real name.
    const partial = `${HARNESS_BINARY_NAME}.partial-${randomBytes(6).toString('hex')}`;
    const args = [...baseFlags(arch), ...flags, '-o', partial, HARNESS_SOURCE_NAME, runtime.object];
    await forgetOwned(binary);
    const result = await nvccIn(options, nvcc, args, dir);
    throwIfNotRun(result, nvcc, options);
    const log = `${result.stdout}${result.stderr}`;
    const ok = result.exitCode === 0 && existsSync(join(dir, partial));
    if (ok) {
      await rename(join(dir, partial), binary);
      await recordOwned(binary);
    } else await rm(join(dir, partial), { force: true });
    const diagnostics = mapDiagnostics(log, { dir, userFile: input.userFile, userText, harnessFile, harnessText: generated.source });
    if (!ok && !diagnostics.some((d) => d.severity === 'error')) {
      diagnostics.push({ file: input.userFile, line: 0, severity: 'error', source: 'nvcc', origin: 'other', message: `nvcc failed (exit ${result.exitCode}) without a message we could place:\n${tail(log, 20)}` });
    }
    return {
      ...base,
      ok,
      ...(ok ? { binary } : {}),
      cached: false,
      diagnostics,
      log,
      command: result.command,
      durationMs: performance.now() - started,
    };
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

// ---------------------------------------------------------------- the runtime object

interface RuntimePlan {
  key: string;
  dir: string;
  object: string;
  nvcc: string;
  arch: string;
  compileFlags: string[];
}

/** Where the runtime object for these settings lives; computing it needs no compiler, so a cache hit runs nothing. */
function runtimePlan(o: { nvcc: string; arch: string; cacheDir: string; version: string; hostFlags: string[] }): RuntimePlan {
  const compileFlags = [...baseFlags(o.arch), ...o.hostFlags];
  const key = sha256(JSON.stringify({ format: BUILD_FORMAT, header: RUNTIME_HEADER, source: RUNTIME_SOURCE, flags: compileFlags, nvcc: o.version }));
  const dir = join(o.cacheDir, `runtime-${key.slice(0, 24)}`);
  return { key, dir, object: join(dir, RUNTIME_OBJECT_NAME), nvcc: o.nvcc, arch: o.arch, compileFlags };
}

async function ensureRuntime(plan: RuntimePlan, o: BuildOptions): Promise<void> {
  if (await isOwned(plan.object)) return;
  await once(plan.dir, async () => {
    await writeFiles(plan.dir, { [RUNTIME_HEADER_NAME]: RUNTIME_HEADER, [RUNTIME_SOURCE_NAME]: RUNTIME_SOURCE });
    const partial = `${RUNTIME_OBJECT_NAME}.partial-${randomBytes(6).toString('hex')}`;
    await forgetOwned(plan.object);
    const result = await nvccIn(o, plan.nvcc, [...plan.compileFlags, '-c', '-o', partial, RUNTIME_SOURCE_NAME], plan.dir);
    throwIfNotRun(result, plan.nvcc, o);
    const log = `${result.stdout}${result.stderr}`;
    if (result.exitCode !== 0 || !existsSync(join(plan.dir, partial))) {
      await rm(join(plan.dir, partial), { force: true });
      if (/Unsupported gpu architecture|not defined for option 'gpu-architecture'/i.test(log)) {
        throw new BuildError('invalid-arch', `nvcc on target '${o.target.name}' cannot build for ${plan.arch}: ${tail(log, 3)}`, log);
      }
      throw new BuildError('runtime', `building the harness runtime failed on target '${o.target.name}' (${result.command}):\n${tail(log, 30)}`, log);
    }
    await rename(join(plan.dir, partial), plan.object);
    await recordOwned(plan.object);
  });
}

/** Host-compiler choices must match between the runtime object and the harness that links it. */
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

const versions = new WeakMap<Target, Map<string, Promise<string>>>();

/** `nvcc --version`, asked once per target and compiler path for the life of the process (it is part of every key). */
function nvccVersion(target: Target, nvcc: string, options: BuildOptions): Promise<string> {
  let perTarget = versions.get(target);
  if (!perTarget) versions.set(target, (perTarget = new Map()));
  let version = perTarget.get(nvcc);
  if (!version) {
    version = (async () => {
      const result = await withScratch('nvcc', (dir) => target.exec(nvcc, ['--version'], { cwd: dir, timeoutMs: 30_000, signal: options.signal }));
      throwIfNotRun(result, nvcc, options);
      if (result.exitCode !== 0) throw new BuildError('nvcc-not-found', `'${nvcc} --version' failed on target '${target.name}': ${tail(result.stderr || result.stdout, 5)}`);
      return result.stdout.trim();
    })();
    perTarget.set(nvcc, version);
    version.catch(() => perTarget.delete(nvcc)); // A failure (cancel, missing nvcc) is asked again next time.
  }
  return version;
}

/** The cache folder, checked private (a shared one let another user plant what we link and run). */
async function privateCache(given: string | undefined): Promise<string> {
  try {
    return given === undefined ? await privateDir('builds') : await ensurePrivateDir(given, 'build cache');
  } catch (error) {
    throw new BuildError('io', (error as Error).message, '', { cause: error });
  }
}

/** One nvcc call in `cwd`, its temporary files in a scratch folder that is removed when it ends (also on cancel and timeout). */
function nvccIn(o: BuildOptions, nvcc: string, args: string[], cwd: string): Promise<ExecResult> {
  return withScratch('build', (tmp) => {
    const exec: ExecOptions = { cwd, env: { TMPDIR: tmp }, timeoutMs: o.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS, signal: o.signal, compile: true };
    return o.target.exec(nvcc, args, exec);
  });
}

function throwIfNotRun(result: ExecResult, nvcc: string, options: BuildOptions): void {
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
  harnessFile: string;
  harnessText: string;
}

function mapDiagnostics(log: string, c: MapContext): BuildDiagnostic[] {
  const runtimeHeader = join(c.dir, RUNTIME_HEADER_NAME);
  const texts = new Map<string, string[]>([
    [resolve(c.userFile), c.userText.split(/\r?\n/)],
    [resolve(c.harnessFile), c.harnessText.split(/\r?\n/)],
    [resolve(runtimeHeader), RUNTIME_HEADER.split(/\r?\n/)],
  ]);
  const raw = parseCompilerOutput(log, { mainFile: c.userFile, cwd: c.dir, sourceLine: (file, line) => texts.get(resolve(file))?.[line] });
  return raw.map((d) => {
    const file = resolve(d.file);
    const origin: DiagnosticOrigin =
      file === resolve(c.userFile) ? 'user' : file === resolve(c.harnessFile) ? 'harness' : file === resolve(runtimeHeader) ? 'runtime' : 'other';
    const out: BuildDiagnostic = { ...d, origin };
    if (origin === 'runtime' || origin === 'harness') {
      // A type mismatch fails inside kp::DevPtr; the harness line it was instantiated from names the argument.
      // nvcc writes `... at line 59 of harness.cu` (file unquoted, relative to where it ran).
      const at = [...d.message.matchAll(/at line (\d+) of "?([^"\s]+)"?/g)].map((m) => ({ line: Number(m[1]) - 1, file: resolve(c.dir, m[2]) })).find((r) => r.file === resolve(c.harnessFile));
      const text = at ? texts.get(resolve(c.harnessFile))?.[at.line]?.trim() : undefined;
      if (at && text) out.message += `\n(generated harness line ${at.line + 1}: ${text})`;
    }
    return out;
  });
}

// ---------------------------------------------------------------- small helpers

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
function includeDirs(flags: readonly string[]): string[] {
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
 * Hashes of the local headers the user's file includes with quotes, followed transitively, so that editing
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
