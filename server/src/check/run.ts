// The static resource check: compile one file to a cubin with ptxas's verbose report and turn the
// output into per-kernel resources and located diagnostics. Needs nvcc, never a GPU.
//   nvcc -arch=<arch> -cubin -Xptxas -v -lineinfo -o <scratch>/out.cubin <staged flags> -x cu <scratch>/kp_source.cu
// `-cubin` compiles device code only, so a file with `int main` or host-only code is fine (nothing links).
// nvcc runs its sub-steps through `sh` with file names pasted in, so no name from the user's disk reaches it: the
// file is compiled as a copy under a fixed name whose `#line` directive names the real file, its folder and the
// include folders are reached through plainly named links, and macros through a generated header (stage-flags.ts).
// nvcc runs in the private scratch folder with TMPDIR there too, and the folder is removed however the check ends.
// On another machine (an SSH target) the scratch folder and the staged links are put there first (the linked folders
// mirrored, rsync copying only what changed), nvcc runs in the copy, and its messages are mapped back to this machine.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { createScratch, type Scratch } from '../targets/scratch';
import type { Target } from '../targets/target';
import { localPaths } from '../targets/target-paths';
import { normalizeArch } from './arch';
import { describeFlagRefusal, type ResolvedFlags } from './compile-flags';
import { demangleNames } from './demangle';
import { parseCompilerOutput } from './diagnostics';
import { parsePtxasOutput } from './ptxas';
import { stageShared } from './stage-flags';
import type { CheckError, CheckResult, CompilerDiagnostic, ResourceRecord } from './types';

/** The fixed name the scratch copy is compiled under; `#line` gives messages the real one. */
export const CHECKED_SOURCE_NAME = 'kp_source.cu';

export interface StaticCheckOptions {
  /** The file as the user knows it (absolute). Diagnostics point here. */
  file: string;
  /** Unsaved editor contents; default: the file as saved. Either way a scratch copy is compiled. */
  text?: string;
  /** `sm_90` (default), `90`, `9.0`, `sm_90a` … */
  arch?: string;
  /** How to call nvcc for this file, from resolveCompileFlags; default nvcc from PATH and no flags. Refusals become warnings. */
  flags?: Partial<Pick<ResolvedFlags, 'nvcc' | 'includeDirs' | 'systemIncludeDirs' | 'macros' | 'args' | 'refused' | 'warnings'>>;
  /** Default 120 s; the whole nvcc process tree is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  cxxfiltPath?: string;
  /** Where scratch folders go; default the private scratch folder (targets/scratch.ts). */
  scratchRoot?: string;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

export async function runStaticCheck(target: Target, options: StaticCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const file = resolve(options.file);
  const flags = options.flags ?? {};
  const nvcc = flags.nvcc || 'nvcc';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Settings the check did not use, said on the file (line 1) so the user sees them where they look.
  const refusals: CompilerDiagnostic[] = (flags.refused ?? []).map((r) => ({ file, line: 0, severity: 'warning', source: 'kernelpilot', message: describeFlagRefusal(r) }));
  const base = { file, resources: [], deviceFunctions: [], diagnostics: refusals, demangler: 'none' as const, warnings: [] };
  const fail = (arch: string, command: string, error: CheckError): CheckResult => ({
    ...base,
    arch,
    ok: false,
    command,
    durationMs: performance.now() - started,
    error,
  });

  const arch = normalizeArch(options.arch ?? 'sm_90');
  if (!arch) {
    return fail(options.arch ?? '', '', {
      kind: 'invalidArch',
      message: `'${options.arch}' is not a GPU architecture.`,
      hint: 'Use the sm_XY form, e.g. sm_90 for H100 or sm_80 for A100 ("kernelpilot.cuda.arch" or --arch).',
    });
  }

  let scratch: Scratch;
  let text: string;
  try {
    text = options.text ?? (await readFile(file, 'utf8'));
    scratch = await createScratch('check', options.scratchRoot);
  } catch (error) {
    return fail(arch, '', { kind: 'failed', message: `Cannot check ${file}: ${(error as Error).message}` });
  }
  let there: string | undefined;
  try {
    const source = join(scratch.dir, CHECKED_SOURCE_NAME);
    // `#line` makes messages name the real file. ptxas cannot read a quote in the `.file` name -lineinfo gives it,
    // so such a name (or one with control characters) gets no `#line`: the copy's lines are then the file's own.
    const named = !/["\p{Cc}]/u.test(file);
    const lineOffset = named ? 1 : 0;
    await writeFile(source, named ? `#line 1 ${cppStringLiteral(file)}\n${text}` : text);
    // Quoted includes are searched beside the actual file (the copy), so the real folder comes first on the path.
    // Staged in a folder named by the flags' content: on another machine the linked folders are mirrored there
    // (Target.put follows links), and a stable name lets rsync copy only what changed since the last check.
    const staged = await stageShared({ includeDirs: [dirname(file), ...(flags.includeDirs ?? [])], systemIncludeDirs: flags.systemIncludeDirs ?? [], macros: flags.macros ?? [], args: flags.args ?? [] });
    const sent = [scratch.dir, ...(staged.dir ? [staged.dir] : [])];
    try {
      await target.put(sent, { signal: options.signal });
    } catch (error) {
      return fail(arch, '', { kind: options.signal?.aborted ? 'cancelled' : 'failed', message: `Cannot copy ${file} to target '${target.name}': ${(error as Error).message}` });
    }
    there = target.targetPath(scratch.dir);
    const onTarget = (path: string) => (staged.dir && path.startsWith(staged.dir + sep) ? target.targetPath(path) : path);
    const args = [`-arch=${arch}`, '-cubin', '-Xptxas', '-v', '-lineinfo', '-o', join(there, 'out.cubin'), ...staged.args.map(onTarget), '-x', 'cu', join(there, CHECKED_SOURCE_NAME)];
    const command = [nvcc, ...args].map(shellWord).join(' ');
    const exec = { cwd: there, env: { TMPDIR: there } };
    const version = nvccVersion(target, nvcc, exec);
    const run = await target.exec(nvcc, args, { ...exec, timeoutMs, signal: options.signal, compile: true });

    if (run.notFound) {
      return fail(arch, command, {
        kind: 'notFound',
        message: `nvcc not found at '${nvcc}'. Install the CUDA toolkit or set "kernelpilot.cuda.nvccPath".`,
        ...(target.name === 'local' ? {} : { hint: `Looked on target '${target.name}'.` }),
      });
    }
    if (run.cancelled) return fail(arch, command, { kind: 'cancelled', message: 'The check was cancelled.' });
    if (run.timedOut) {
      return fail(arch, command, {
        kind: 'timeout',
        message: `nvcc did not finish within ${formatSeconds(timeoutMs)} and was stopped.`,
        hint: 'Raise "kernelpilot.check.timeoutMs", or look for runaway template instantiation or loop unrolling.',
      });
    }

    // What nvcc printed names the target's copies: this machine's paths first, then the real folders behind the links.
    const output = localPaths(`${run.stderr}\n${run.stdout}`, target, sent);
    const located = (path: string) => staged.realPath(path);
    const diagnostics = parseCompilerOutput(output, { mainFile: file, cwd: scratch.dir, sourceLine: sourceLines(file, text, located) })
      // Anything still naming the scratch copy is one line off (the `#line` directive above line 1).
      .map((d) => (d.file === source ? { ...d, file, line: Math.max(0, d.line - lineOffset) } : { ...d, file: located(d.file) }))
      .map((d) => (d.related ? { ...d, related: d.related.map((r) => ({ ...r, file: r.file === source ? file : located(r.file) })) } : d));
    const report = parsePtxasOutput(run.stderr);
    const demangled = await demangleNames(target, report.entries.map((e) => e.mangledName), { cxxfiltPath: options.cxxfiltPath, signal: options.signal });
    const resources: ResourceRecord[] = report.entries.map((entry) => {
      const d = demangled.names.get(entry.mangledName);
      return {
        ...entry,
        qualifiedName: d?.qualifiedName ?? entry.mangledName,
        name: d?.name ?? entry.mangledName,
        templateArgs: d?.templateArgs ?? [],
        ...(d?.params ? { params: d.params } : {}),
        demangled: d?.demangled ?? entry.mangledName,
        demangledExactly: d?.exact ?? false,
      };
    });

    const ok = run.exitCode === 0;
    const result: CheckResult = {
      file,
      arch,
      ok,
      resources,
      deviceFunctions: report.deviceFunctions,
      diagnostics: [...refusals, ...diagnostics],
      command,
      durationMs: performance.now() - started,
      demangler: demangled.tool,
      warnings: [...(flags.warnings ?? []), ...(demangled.warning ? [demangled.warning] : [])],
    };
    const nvccVersionText = await version;
    if (nvccVersionText) result.nvccVersion = nvccVersionText;
    if (!ok) {
      const error = explainFailure(run.exitCode, arch, output, diagnostics.some((d) => d.severity === 'error'), nvccVersionText);
      if (error) result.error = error;
    }
    return result;
  } finally {
    await scratch.remove();
    // The copy on another machine goes too; the mirrored include folders stay for the next check.
    if (there !== undefined && there !== scratch.dir) await target.exec('rm', ['-rf', '--', there], { timeoutMs: 30_000 }).catch(() => undefined);
  }
}

/** A C string literal for a `#line` directive (only the preprocessor reads it): backslashes and quotes escaped. */
function cppStringLiteral(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Compile errors speak for themselves through `diagnostics`; an `error` is added only when the user
 * needs more: an arch this nvcc cannot target, or a failure that printed nothing we could place.
 */
function explainFailure(exitCode: number | undefined, arch: string, output: string, hasErrors: boolean, version: string | undefined): CheckError | undefined {
  if (/Unsupported gpu architecture/i.test(output)) {
    return {
      kind: 'invalidArch',
      message: `nvcc${version ? ` ${version}` : ''} cannot compile for ${arch}.`,
      hint: '`nvcc --list-gpu-arch` lists the architectures it supports; set "kernelpilot.cuda.arch" to one of them.',
    };
  }
  if (hasErrors) return undefined;
  const tail = output.trim().split(/\r?\n/).slice(-20).join('\n');
  return {
    kind: 'failed',
    message: exitCode === undefined ? 'nvcc was killed by a signal.' : `nvcc exited with code ${exitCode}.`,
    ...(tail ? { hint: tail } : {}),
  };
}

/** Quotes a word for a POSIX shell only when it needs it, so the shown command stays readable and pastes as is. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** Source lines for exact columns: the checked text for the checked file, the disk for headers (`located`: their real path). */
function sourceLines(file: string, text: string, located: (path: string) => string): (path: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (shown, line) => {
    const path = located(shown);
    if (!cache.has(path)) {
      let content: string | undefined;
      if (path === file) content = text;
      else {
        try {
          // Skip huge generated files: a column is not worth reading megabytes.
          if (existsSync(path) && statSync(path).size < 4 * 1024 * 1024) content = readFileSync(path, 'utf8');
        } catch {
          content = undefined;
        }
      }
      cache.set(path, content?.split(/\r?\n/));
    }
    return cache.get(path)?.[line];
  };
}

const versions = new Map<string, Promise<string | undefined>>();

/**
 * `13.0.88` from `nvcc --version`, asked once per target and nvcc path (misses are retried next time). Runs where
 * the check runs (`cwd`), never in the user's folder, where a relative PATH entry would find the repository's nvcc.
 */
export function nvccVersion(target: Target, nvcc: string, where: { cwd: string; env?: Record<string, string> }): Promise<string | undefined> {
  const key = `${target.name}\0${nvcc}`;
  let pending = versions.get(key);
  if (!pending) {
    pending = target.exec(nvcc, ['--version'], { ...where, timeoutMs: 30_000 }).then((r) => {
      const m = /release [\d.]+, V(\d+(?:\.\d+)+)/.exec(r.stdout) ?? /release (\d+(?:\.\d+)+)/.exec(r.stdout);
      if (!m) versions.delete(key);
      return m?.[1];
    });
    versions.set(key, pending);
  }
  return pending;
}
