// The static resource check: compile one file to a cubin with ptxas's verbose report and turn the
// output into per-kernel resources and located diagnostics. Needs nvcc, never a GPU.
//   nvcc -arch=<arch> -cubin -Xptxas -v -lineinfo -o <scratch>/out.cubin [-I… -D… extra] -x cu <file>
// `-cubin` compiles device code only, so a file with `int main` or host-only code is fine (nothing links).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Target } from '../targets/target';
import { normalizeArch } from './arch';
import { demangleNames } from './demangle';
import { parseCompilerOutput } from './diagnostics';
import { parsePtxasOutput } from './ptxas';
import type { CheckError, CheckResult, ResourceRecord } from './types';

export interface StaticCheckOptions {
  /** The file as the user knows it (absolute). Diagnostics point here even when `text` is checked. */
  file: string;
  /** Unsaved editor contents; checked from a scratch copy, never written beside the user's file. */
  text?: string;
  /** `sm_90` (default), `90`, `9.0`, `sm_90a` … */
  arch?: string;
  /** Default `nvcc` (found on PATH). */
  nvccPath?: string;
  includePaths?: string[];
  /** `NAME` or `NAME=VALUE`. */
  defines?: string[];
  /** Passed to nvcc as they are (e.g. flagsToNvccArgs(compile_commands flags), `-maxrregcount=64`). */
  extraArgs?: string[];
  /** Default 120 s; the whole nvcc process tree is killed past it. */
  timeoutMs?: number;
  signal?: AbortSignal;
  cxxfiltPath?: string;
  /** Where scratch folders go; default os.tmpdir(). */
  scratchRoot?: string;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

export async function runStaticCheck(target: Target, options: StaticCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const file = resolve(options.file);
  const nvcc = options.nvccPath || 'nvcc';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = { file, resources: [], deviceFunctions: [], diagnostics: [], demangler: 'none' as const, warnings: [] };
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

  const scratch = await mkdtemp(join(options.scratchRoot ?? tmpdir(), 'kernelpilot-check-'));
  try {
    let source = file;
    const args = [`-arch=${arch}`, '-cubin', '-Xptxas', '-v', '-lineinfo', '-o', join(scratch, 'out.cubin')];
    if (options.text !== undefined) {
      // `#line` makes every message name the original path and line; the original folder goes first on
      // the include path because quoted includes are searched beside the *actual* file (the scratch copy).
      source = join(scratch, basename(file));
      await writeFile(source, `#line 1 "${file.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n${options.text}`);
      args.push('-I', dirname(file));
    }
    for (const dir of options.includePaths ?? []) args.push('-I', dir);
    for (const define of options.defines ?? []) args.push(`-D${define}`);
    args.push(...(options.extraArgs ?? []), '-x', 'cu', source);
    const command = [nvcc, ...args].map(shellWord).join(' ');

    // Relative include paths and relative names in messages mean the user's folder, when it exists.
    const cwd = isDirectory(dirname(file)) ? dirname(file) : scratch;
    const version = nvccVersion(target, nvcc);
    const run = await target.exec(nvcc, args, { cwd, timeoutMs, signal: options.signal, compile: true });

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

    const output = `${run.stderr}\n${run.stdout}`;
    const diagnostics = parseCompilerOutput(output, { mainFile: file, cwd, sourceLine: sourceLines(file, options.text) })
      // Anything still naming the scratch copy is one line off (the `#line` directive above line 1).
      .map((d) => (d.file === source && source !== file ? { ...d, file, line: Math.max(0, d.line - 1) } : d));
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
      diagnostics,
      command,
      durationMs: performance.now() - started,
      demangler: demangled.tool,
      warnings: demangled.warning ? [demangled.warning] : [],
    };
    const nvccVersionText = await version;
    if (nvccVersionText) result.nvccVersion = nvccVersionText;
    if (!ok) {
      const error = explainFailure(run.exitCode, arch, output, diagnostics.some((d) => d.severity === 'error'), nvccVersionText);
      if (error) result.error = error;
    }
    return result;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** Source lines for exact columns: the unsaved text for the checked file, the disk for headers. */
function sourceLines(file: string, text: string | undefined): (path: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (path, line) => {
    if (!cache.has(path)) {
      let content: string | undefined;
      if (path === file && text !== undefined) content = text;
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

/** `13.0.88` from `nvcc --version`, asked once per target and nvcc path (misses are retried next time). */
export function nvccVersion(target: Target, nvcc: string): Promise<string | undefined> {
  const key = `${target.name}\0${nvcc}`;
  let pending = versions.get(key);
  if (!pending) {
    pending = target.exec(nvcc, ['--version'], { timeoutMs: 30_000 }).then((r) => {
      const m = /release [\d.]+, V(\d+(?:\.\d+)+)/.exec(r.stdout) ?? /release (\d+(?:\.\d+)+)/.exec(r.stdout);
      if (!m) versions.delete(key);
      return m?.[1];
    });
    versions.set(key, pending);
  }
  return pending;
}
