// The one place that decides how nvcc is called for a user's file: which nvcc, include folders, macros and extra
// flags, from the settings (each with who set it) and the project's compile_commands.json. The static check and the
// benchmark build both use it, so a kernel that checks also builds. Every value is validated here:
//   - include folders and macros may hold anything a path or macro may; they reach nvcc as safely named links and
//     a generated header (stage-flags.ts), never as shell words;
//   - other flags from the workspace must be on the allow-list (allowed-flags.ts);
//   - a workspace may not choose the nvcc program, nor a compile_commands.json outside itself.
// Values set by the user (user-level settings, initializationOptions, the CLI's own options) are the user's
// choice and pass as they are. Refused values are reported with the setting they came from and why.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { SettingOrigin, SettingOrigins, Settings } from '../settings';
import { classifyExtraArgs } from './allowed-flags';
import { compileFlagsFor, isInside } from './compileCommands';

export type FlagSettingKey = 'nvccPath' | 'includePaths' | 'defines' | 'extraArgs' | 'compileCommands';

export interface FlagRequest {
  /** The user's file (absolute). */
  file: string;
  /** Workspace folders (absolute). The CLI passes --workspace or the current folder. */
  roots: readonly string[];
  cuda: Pick<Settings['cuda'], FlagSettingKey>;
  /** Who set each value; a missing origin counts as the workspace (the strictest). */
  origins: SettingOrigins;
}

/** `#define name value` (value absent: `1`, as -D does) or `#undef name`, in command-line order. */
export type MacroOp = { op: 'define'; name: string; value?: string } | { op: 'undef'; name: string };

export interface Refusal {
  value: string;
  /** The setting or option it came from, e.g. `kernelpilot.cuda.extraArgs (workspace settings)`. */
  from: string;
  reason: string;
}

export interface ResolvedFlags {
  file: string;
  nvcc: string;
  /** Absolute, in search order. */
  includeDirs: string[];
  systemIncludeDirs: string[];
  macros: MacroOp[];
  /** Passed to nvcc word for word: allow-listed, or set by the user. */
  args: string[];
  compileCommands?: { database: string; entryFile: string; exact: boolean };
  refused: Refusal[];
  /** Not refusals, but worth telling (an unreadable response file). */
  warnings: string[];
}

const CLI_NAMES: Record<FlagSettingKey, string> = {
  nvccPath: '--nvcc-path',
  includePaths: '--include-path',
  defines: '--define',
  extraArgs: '--extra-arg',
  compileCommands: '--compile-commands',
};

export function settingLabel(key: FlagSettingKey, origin: SettingOrigin): string {
  return origin === 'cli' ? CLI_NAMES[key] : `kernelpilot.cuda.${key} (${origin} settings)`;
}

/** One refusal as a sentence: what, from where, why, and how to use it anyway. */
export function describeFlagRefusal(r: Refusal): string {
  return `KernelPilot did not use ${JSON.stringify(r.value)} from ${r.from}: ${r.reason}. A workspace cannot set this; put it in your user settings (or on the command line) if you mean it.`;
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
/** `NAME` or a function-like head `NAME(a, b)`, `NAME(...)`, `NAME(a, ...)`, `NAME()`. */
const MACRO_HEAD = new RegExp(`^${IDENT}(\\(\\s*(((${IDENT})\\s*,\\s*)*((${IDENT})|\\.\\.\\.))?\\s*\\))?$`);
const MACRO_NAME = new RegExp(`^${IDENT}$`);

/** `NAME`, `NAME=VALUE` or `F(x)=VALUE` as one line of a header, or the reason it cannot be one. */
export function parseDefine(text: string): MacroOp | string {
  const eq = text.indexOf('=');
  const head = eq < 0 ? text : text.slice(0, eq);
  const value = eq < 0 ? undefined : text.slice(eq + 1);
  if (!MACRO_HEAD.test(head)) return `'${head}' is not a macro name (an identifier, optionally with a parameter list)`;
  if (value !== undefined) {
    if (/[\r\n\0]/.test(value)) return 'a macro value cannot hold a line break or NUL';
    // These would continue the #define onto the next line of the generated header, or comment it out.
    if (/(\\|\?\?\/)\s*$/.test(value)) return 'a macro value cannot end with a backslash';
    if (value.lastIndexOf('/*') > value.lastIndexOf('*/')) return 'a macro value cannot open a /* comment it does not close';
  }
  return value === undefined ? { op: 'define', name: head } : { op: 'define', name: head, value };
}

function parseUndefine(text: string): MacroOp | string {
  return MACRO_NAME.test(text) ? { op: 'undef', name: text } : `'${text}' is not a macro name`;
}

/** The workspace folder that holds `file` (the innermost), if any. */
function homeRoot(file: string, roots: readonly string[]): string | undefined {
  return roots.map((r) => resolve(r)).filter((r) => isInside(dirname(file), r)).sort((a, b) => b.length - a.length)[0];
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

const insideAny = (path: string, roots: readonly string[]) => roots.some((r) => isInside(path, resolve(r)) || isInside(real(path), real(resolve(r))));

/**
 * A workspace may not pick the compiler: a relative path, or one inside the workspace, is a program the repository
 * ships. From the workspace only an absolute path to a program named nvcc outside every workspace folder is used.
 */
function nvccRefusal(path: string, roots: readonly string[]): string | undefined {
  if (!isAbsolute(path)) return 'a workspace may name nvcc only by an absolute path outside the workspace';
  if (insideAny(path, roots)) return 'it is inside the workspace, so the repository would choose the program that runs';
  if (basename(path) !== 'nvcc') return 'a workspace may only point at a program named nvcc';
  return undefined;
}

export async function resolveCompileFlags(request: FlagRequest): Promise<ResolvedFlags> {
  const file = resolve(request.file);
  const { cuda, roots } = request;
  const origin = (key: FlagSettingKey): SettingOrigin => request.origins[key] ?? 'workspace';
  const trusted = (key: FlagSettingKey) => origin(key) !== 'workspace';
  const from = (key: FlagSettingKey) => settingLabel(key, origin(key));
  const home = homeRoot(file, roots);
  const out: ResolvedFlags = { file, nvcc: 'nvcc', includeDirs: [], systemIncludeDirs: [], macros: [], args: [], refused: [], warnings: [] };
  const refuse = (value: string, source: string, reason: string) => out.refused.push({ value, from: source, reason });
  const addMacro = (parsed: MacroOp | string, value: string, source: string) => (typeof parsed === 'string' ? refuse(value, source, parsed) : out.macros.push(parsed));
  const addPath = (list: string[], path: string, source: string, base: string) => {
    if (path === '' || path.includes('\0')) refuse(path, source, 'an include folder must be a non-empty path');
    else list.push(resolve(base, path));
  };
  // Relative include folders mean the file's workspace folder (its own folder outside any).
  const base = home ?? dirname(file);

  const nvcc = cuda.nvccPath.trim();
  if (nvcc && nvcc !== 'nvcc') {
    const why = trusted('nvccPath') ? undefined : nvccRefusal(nvcc, roots);
    if (why) refuse(nvcc, from('nvccPath'), `${why}; using nvcc from PATH instead`);
    else out.nvcc = nvcc;
  }

  for (const path of cuda.includePaths) addPath(out.includeDirs, path, from('includePaths'), base);
  for (const define of cuda.defines) addMacro(parseDefine(define), define, from('defines'));

  try {
    const found = await compileFlagsFor({ file, roots: [...roots], explicitPath: cuda.compileCommands || undefined });
    if (found && cuda.compileCommands && !trusted('compileCommands') && !insideAny(found.database, roots)) {
      refuse(cuda.compileCommands, from('compileCommands'), 'it is outside the workspace; a workspace may only use its own compile_commands.json');
    } else if (found) {
      const source = found.database;
      out.compileCommands = { database: found.database, entryFile: found.entryFile, exact: found.exact };
      out.includeDirs.push(...found.flags.includePaths);
      out.systemIncludeDirs.push(...found.flags.systemIncludePaths);
      for (const d of found.flags.defines) addMacro(parseDefine(d), d, source);
      for (const u of found.flags.undefines) addMacro(parseUndefine(u), u, source);
      // The database is the repository's own text: its flags pass the workspace allow-list.
      for (const flag of classifyExtraArgs([...(found.flags.std ? [`-std=${found.flags.std}`] : []), ...found.flags.switches])) {
        if (flag.kind === 'allowed') out.args.push(...flag.words);
        else if (flag.kind === 'refused') refuse(flag.words.join(' '), source, flag.reason);
      }
      out.warnings.push(...found.flags.warnings);
    }
  } catch (error) {
    out.warnings.push(`compile_commands.json not used: ${(error as Error).message}`);
  }

  const extraFrom = from('extraArgs');
  for (const flag of classifyExtraArgs(cuda.extraArgs)) {
    switch (flag.kind) {
      case 'include':
        addPath(out.includeDirs, flag.value, extraFrom, base);
        break;
      case 'system-include':
        addPath(out.systemIncludeDirs, flag.value, extraFrom, base);
        break;
      case 'define':
        addMacro(parseDefine(flag.value), flag.value, extraFrom);
        break;
      case 'undefine':
        addMacro(parseUndefine(flag.value), flag.value, extraFrom);
        break;
      case 'allowed':
        out.args.push(...flag.words);
        break;
      case 'refused':
        if (trusted('extraArgs')) out.args.push(...flag.words);
        else refuse(flag.words.join(' '), extraFrom, flag.reason);
    }
  }
  return out;
}

/** The flags as the run record keeps them: enough to rebuild the same binary by hand. */
export function describeFlags(flags: ResolvedFlags): Record<string, unknown> {
  return {
    nvcc: flags.nvcc,
    includeDirs: flags.includeDirs,
    systemIncludeDirs: flags.systemIncludeDirs,
    macros: flags.macros.map((m) => (m.op === 'undef' ? `-U${m.name}` : `-D${m.name}${m.value === undefined ? '' : `=${m.value}`}`)),
    args: flags.args,
    ...(flags.compileCommands ? { compileCommands: flags.compileCommands } : {}),
    ...(flags.refused.length ? { refused: flags.refused } : {}),
  };
}
