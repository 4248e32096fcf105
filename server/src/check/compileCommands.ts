// Reads the flags a project builds a file with from `compile_commands.json` (CMake's
// CMAKE_EXPORT_COMPILE_COMMANDS, Bear, …), so the check sees the same includes and macros as the build.
// Only flags that change what the front end sees are kept: -I, -isystem, -D, -U, -std and the
// --expt-* / --extended-lambda switches. Arch, output and optimisation flags are the check's own.

import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { parse as parseShell } from 'shell-quote';

export interface CompileCommand {
  directory: string;
  file: string;
  arguments?: string[];
  command?: string;
  output?: string;
}

export interface CompileFlags {
  /** Absolute. */
  includePaths: string[];
  /** Absolute. */
  systemIncludePaths: string[];
  /** `NAME` or `NAME=VALUE`, in order. */
  defines: string[];
  undefines: string[];
  /** e.g. `c++17`. */
  std?: string;
  /** `--expt-relaxed-constexpr`, `--extended-lambda`, … as written. */
  switches: string[];
  /** Problems worth telling the user (an unreadable response file). */
  warnings: string[];
}

export interface FoundFlags {
  flags: CompileFlags;
  /** The compile_commands.json used. */
  database: string;
  /** The entry's file (absolute). */
  entryFile: string;
  /** False when the file has no entry of its own and a neighbour's flags were borrowed (headers). */
  exact: boolean;
}

export interface FindOptions {
  /** The file being checked (absolute). */
  file: string;
  /** Workspace folders (absolute); the CLI passes the current directory. */
  roots?: string[];
  /** "kernelpilot.cuda.compileCommands": a compile_commands.json or a folder holding one; relative to the workspace root. */
  explicitPath?: string;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** `dir` is `root` or below it (both absolute, resolved). */
export const isInside = (dir: string, root: string): boolean => dir === root || dir.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The explicit path, else the nearest `compile_commands.json` or `build/compile_commands.json` walking up
 * from the file's folder to its workspace root (clangd's search), else one in any root or its build/.
 * Only inside the workspace: a database in a folder above it (a shared /tmp, a parent checkout) is the
 * content of a stranger. A file outside every root searches nothing.
 */
export async function findCompileCommands(options: FindOptions): Promise<string | undefined> {
  const file = resolve(options.file);
  const roots = (options.roots ?? []).map((r) => resolve(r));
  const home = roots.filter((r) => isInside(dirname(file), r)).sort((a, b) => b.length - a.length)[0];
  const inFolder = async (dir: string) => {
    for (const candidate of [join(dir, 'compile_commands.json'), join(dir, 'build', 'compile_commands.json')]) {
      if (await isFile(candidate)) return candidate;
    }
    return undefined;
  };

  if (options.explicitPath) {
    const bases = isAbsolute(options.explicitPath) ? [''] : home ? [home] : roots.length > 0 ? roots : [dirname(file)];
    for (const base of bases) {
      const configured = resolve(base, options.explicitPath);
      if (await isFile(configured)) return configured;
      if (await isFile(join(configured, 'compile_commands.json'))) return join(configured, 'compile_commands.json');
    }
    return undefined;
  }
  for (let dir = dirname(file); home !== undefined; dir = dirname(dir)) {
    const found = await inFolder(dir);
    if (found) return found;
    if (dir === home) break;
  }
  for (const root of roots) {
    const found = await inFolder(root);
    if (found) return found;
  }
  return undefined;
}

export async function loadCompileCommands(path: string): Promise<CompileCommand[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`Cannot read ${path}: ${(e as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error(`${path} is not a JSON array of compile commands`);
  // Entries without the required fields are skipped rather than failing the whole database.
  return data.filter(
    (item): item is CompileCommand =>
      typeof item === 'object' && item !== null &&
      typeof item.directory === 'string' && typeof item.file === 'string' &&
      (Array.isArray(item.arguments) || typeof item.command === 'string'),
  );
}

const entryPath = (e: CompileCommand) => resolve(e.directory, e.file);
const CUDA_SOURCE = new Set(['.cu']);

/**
 * The entry for `file`, else one from the same folder (a header has no entry of its own), else the one
 * sharing the longest folder prefix; CUDA sources are preferred among neighbours.
 */
export function pickEntry(entries: readonly CompileCommand[], file: string): { entry: CompileCommand; exact: boolean } | undefined {
  const target = resolve(file);
  const exact = entries.find((e) => entryPath(e) === target);
  if (exact) return { entry: exact, exact: true };
  const dir = dirname(target);
  const score = (e: CompileCommand) => {
    const other = dirname(entryPath(e));
    const shared = commonPrefixLength(dir.split(sep), other.split(sep));
    // Folder closeness first; a .cu neighbour beats a .cpp one at the same distance.
    return shared * 2 + (CUDA_SOURCE.has(extname(e.file)) ? 1 : 0) - (other === dir ? 0 : 1000);
  };
  let best: CompileCommand | undefined;
  let bestScore = -Infinity;
  for (const e of entries) {
    const s = score(e);
    if (s > bestScore) {
      best = e;
      bestScore = s;
    }
  }
  // Sharing only the filesystem root is no evidence that the flags apply.
  if (!best || commonPrefixLength(dir.split(sep), dirname(entryPath(best)).split(sep)) < 2) return undefined;
  return { entry: best, exact: false };
}

function commonPrefixLength(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/** `command` strings are shell syntax; variables stay literal and operators end the command. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  for (const token of parseShell(command, (name) => `$${name}`)) {
    if (typeof token !== 'string') {
      if ('op' in token && token.op !== 'glob') break;
      if ('pattern' in token) words.push(token.pattern);
      continue;
    }
    words.push(token);
  }
  return words;
}

/** nvcc's `--options-file F` / `-optf F` (CMake puts includes there): read, split, and splice in. */
async function expandResponseFiles(args: string[], directory: string, warnings: string[], depth = 0): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let file: string | undefined;
    if (a === '--options-file' || a === '-optf') file = args[++i];
    else if (a.startsWith('--options-file=')) file = a.slice('--options-file='.length);
    else if (a.startsWith('@') && a.length > 1) file = a.slice(1);
    if (file === undefined) {
      out.push(a);
      continue;
    }
    const path = resolve(directory, file);
    try {
      const inner = splitCommand(await readFile(path, 'utf8'));
      out.push(...(depth < 4 ? await expandResponseFiles(inner, directory, warnings, depth + 1) : inner));
    } catch (e) {
      warnings.push(`Cannot read response file ${path} (configure the build first?): ${(e as Error).message}`);
    }
  }
  return out;
}

const EXPT = /^--?(expt-[\w-]+|extended-lambda)$/;

export async function extractFlags(entry: CompileCommand): Promise<CompileFlags> {
  const warnings: string[] = [];
  const raw = entry.arguments ?? splitCommand(entry.command ?? '');
  const args = await expandResponseFiles(raw.slice(1), entry.directory, warnings);
  const flags: CompileFlags = { includePaths: [], systemIncludePaths: [], defines: [], undefines: [], switches: [], warnings };
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(entry.directory, p));

  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    // Each option in its spellings: `-Ix`, `-I x`, `--include-path x`, `--include-path=x`.
    const value = (short: string[], long: string[]): string | undefined => {
      for (const s of short) {
        if (a === s) return args[++i];
        if (a.startsWith(s) && a.length > s.length) return a.slice(s.length).replace(/^=/, '');
      }
      for (const l of long) {
        if (a === l) return args[++i];
        if (a.startsWith(`${l}=`)) return a.slice(l.length + 1);
      }
      return undefined;
    };
    let v: string | undefined;
    if (EXPT.test(a)) flags.switches.push(a.startsWith('--') ? a : `-${a}`);
    else if ((v = value(['-isystem'], ['--system-include'])) !== undefined) flags.systemIncludePaths.push(abs(v));
    else if ((v = value(['-I'], ['--include-path'])) !== undefined) flags.includePaths.push(abs(v));
    else if ((v = value(['-D'], ['--define-macro'])) !== undefined) flags.defines.push(v);
    else if ((v = value(['-U'], ['--undefine-macro'])) !== undefined) flags.undefines.push(v);
    else if ((v = value([], ['-std', '--std'])) !== undefined) flags.std = v;
  }
  return flags;
}

/** Finds the database, the entry and its flags for `file`; undefined when there is no database or no usable entry. */
export async function compileFlagsFor(options: FindOptions): Promise<FoundFlags | undefined> {
  const database = await findCompileCommands(options);
  if (!database) return undefined;
  const picked = pickEntry(await loadCompileCommands(database), options.file);
  if (!picked) return undefined;
  return { flags: await extractFlags(picked.entry), database, entryFile: entryPath(picked.entry), exact: picked.exact };
}
