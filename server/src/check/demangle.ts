// Turns ptxas's entry names into `ns::k` + template arguments, so resources can be matched to the
// kernels discovery found. c++filt does the demangling (one process for the whole batch, through the
// Target); without it, a small heuristic reads the identifiers straight out of the mangled name.

import type { Target } from '../targets/target';
import type { DemangledName } from './types';

export interface DemangleOptions {
  /** Default `c++filt` (binutils). */
  cxxfiltPath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface DemangleResult {
  /** One per input name (duplicates collapse). */
  names: Map<string, DemangledName>;
  /** `none`: nothing needed demangling (all `extern "C"`). */
  tool: 'c++filt' | 'heuristic' | 'none';
  /** Set when c++filt could not be used, for the user to see. */
  warning?: string;
}

/** Itanium-mangled names start with `_Z`; `extern "C"` entries are plain identifiers. */
export function isMangled(name: string): boolean {
  return name.startsWith('_Z');
}

export async function demangleNames(target: Target, names: readonly string[], options: DemangleOptions = {}): Promise<DemangleResult> {
  const result = new Map<string, DemangledName>();
  const mangled: string[] = [];
  for (const name of new Set(names)) {
    if (isMangled(name)) mangled.push(name);
    else result.set(name, plainName(name));
  }
  if (mangled.length === 0) return { names: result, tool: 'none' };

  const tool = options.cxxfiltPath ?? 'c++filt';
  const run = await target.exec(tool, [], { input: mangled.join('\n') + '\n', timeoutMs: options.timeoutMs ?? 10_000, signal: options.signal });
  const lines = run.stdout.split(/\r?\n/);
  let problem: string | undefined;
  if (run.notFound) problem = `c++filt not found at '${tool}' on target '${target.name}' (it comes with binutils)`;
  else if (run.cancelled) problem = 'c++filt was cancelled';
  else if (run.timedOut) problem = 'c++filt timed out';
  else if (run.exitCode !== 0) problem = `c++filt exited with code ${run.exitCode}: ${run.stderr.trim().slice(0, 200)}`;
  else if (lines.length < mangled.length) problem = `c++filt returned ${lines.length} lines for ${mangled.length} names`;

  if (problem) {
    for (const name of mangled) result.set(name, heuristicDemangle(name));
    return {
      names: result,
      tool: 'heuristic',
      warning: `${problem}; kernel names were read from the mangled names, so template arguments may be missing or approximate.`,
    };
  }
  mangled.forEach((name, i) => result.set(name, parseDemangled(name, lines[i])));
  return { names: result, tool: 'c++filt' };
}

function plainName(name: string): DemangledName {
  return { mangledName: name, demangled: name, qualifiedName: name, name, templateArgs: [], exact: true };
}

/**
 * Splits c++filt's text for a function, e.g. `void ns::k<float, 128>(float const*, float*, int)`:
 * an optional return type (templates only), the qualified name, template arguments, parameters.
 * Falls back to the heuristic when the text is not a function signature (c++filt echoes what it cannot read).
 */
export function parseDemangled(mangledName: string, text: string): DemangledName {
  const s = text.trim();
  if (!s.endsWith(')') || s === mangledName) return heuristicDemangle(mangledName);
  const open = matchingOpen(s, s.length - 1);
  if (open === undefined) return heuristicDemangle(mangledName);
  const params = splitTopLevel(s.slice(open + 1, -1));
  const head = s.slice(0, open).trim();
  // The return type (printed for template instances) is separated by the last top-level space.
  const space = lastTopLevel(head, ' ');
  let nameWithArgs = space === undefined ? head : head.slice(space + 1);
  let templateArgs: string[] = [];
  if (nameWithArgs.endsWith('>')) {
    const lt = matchingOpen(nameWithArgs, nameWithArgs.length - 1);
    if (lt !== undefined) {
      templateArgs = splitTopLevel(nameWithArgs.slice(lt + 1, -1));
      nameWithArgs = nameWithArgs.slice(0, lt);
    }
  }
  const qualifiedName = nameWithArgs;
  const sep = lastTopLevel(qualifiedName, '::');
  const name = sep === undefined ? qualifiedName : qualifiedName.slice(sep + 2);
  return {
    mangledName,
    demangled: s,
    qualifiedName,
    name,
    templateArgs,
    params: params.length === 1 && (params[0] === 'void' || params[0] === '') ? [] : params,
    exact: true,
  };
}

const OPENERS: Record<string, string> = { ')': '(', '>': '<', ']': '[' };

/** Index of the bracket that opens the one closing at `close`, counting all bracket kinds. */
function matchingOpen(s: string, close: number): number | undefined {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    const c = s[i];
    if (c in OPENERS) depth++;
    else if (c === '(' || c === '<' || c === '[') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return undefined;
}

function depthMap(s: string): number[] {
  const depths: number[] = [];
  let depth = 0;
  for (const c of s) {
    if (c === '(' || c === '<' || c === '[') depth++;
    else if (c === ')' || c === '>' || c === ']') depth--;
    depths.push(depth);
  }
  return depths;
}

/** Splits on commas outside any brackets; `(char)97` and `Op<float, 2>` stay whole. */
export function splitTopLevel(s: string): string[] {
  const depths = depthMap(s);
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ',' && depths[i] === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts.length === 1 && parts[0] === '' ? [] : parts;
}

function lastTopLevel(s: string, needle: string): number | undefined {
  const depths = depthMap(s);
  for (let i = s.length - needle.length; i >= 0; i--) {
    if (depths[i] === 0 && s.startsWith(needle, i)) return i;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Fallback without c++filt: read `_Z[N]<len><id>…[I<args>E]` directly. Enough to match kernels by
// name; template arguments are decoded for builtin types, integer literals and plain class names,
// and dropped (empty) when anything fancier appears.

const BUILTINS: Record<string, string> = {
  v: 'void', b: 'bool', c: 'char', a: 'signed char', h: 'unsigned char', s: 'short', t: 'unsigned short',
  i: 'int', j: 'unsigned int', l: 'long', m: 'unsigned long', x: 'long long', y: 'unsigned long long',
  n: '__int128', o: 'unsigned __int128', f: 'float', d: 'double', e: 'long double', w: 'wchar_t',
};
/** How c++filt prints integer literals of each type. */
const LITERAL_SUFFIX: Record<string, string> = { i: '', j: 'u', l: 'l', m: 'ul', x: 'll', y: 'ull' };

class Unsupported extends Error {}

class Reader {
  pos = 0;
  constructor(readonly s: string) {}
  peek(n = 1): string {
    return this.s.slice(this.pos, this.pos + n);
  }
  take(n = 1): string {
    const t = this.peek(n);
    if (t.length < n) throw new Unsupported('end of name');
    this.pos += n;
    return t;
  }
  /** `<len><identifier>`; anonymous namespaces are `_GLOBAL__N_…`. */
  sourceName(): string {
    const m = /^\d+/.exec(this.s.slice(this.pos));
    if (!m) throw new Unsupported(`expected a length at ${this.pos}`);
    this.pos += m[0].length;
    const id = this.take(Number(m[0]));
    return id.startsWith('_GLOBAL__N') ? '(anonymous namespace)' : id;
  }
}

export function heuristicDemangle(mangledName: string): DemangledName {
  const r = new Reader(mangledName);
  const components: string[] = [];
  let templateArgs: string[] = [];
  try {
    r.take(2); // _Z
    if (r.peek() === 'N') {
      r.take();
      while ('rVK'.includes(r.peek()) && r.peek() !== '') r.take();
      while (r.peek() !== 'E') {
        if (r.peek(2) === 'St') {
          r.take(2);
          components.push('std');
        } else if (r.peek() === 'I') {
          templateArgs = readTemplateArgs(r);
        } else if (r.peek() === 'L') {
          r.take(); // internal linkage marker
        } else {
          components.push(r.sourceName());
          templateArgs = [];
        }
      }
    } else {
      if (r.peek() === 'L') r.take();
      components.push(r.sourceName());
      if (r.peek() === 'I') templateArgs = readTemplateArgs(r);
    }
  } catch {
    // Keep whatever identifiers were read; template arguments are unknown past this point.
    templateArgs = [];
  }
  const qualifiedName = components.length > 0 ? components.join('::') : mangledName;
  return {
    mangledName,
    demangled: mangledName,
    qualifiedName,
    name: components.at(-1) ?? mangledName,
    templateArgs,
    exact: false,
  };
}

function readTemplateArgs(r: Reader): string[] {
  r.take(); // I
  const args: string[] = [];
  while (r.peek() !== 'E') {
    if (r.peek() === 'J') {
      // A parameter pack: its members are the arguments, as c++filt flattens them.
      r.take();
      while (r.peek() !== 'E') args.push(readType(r));
      r.take();
    } else if (r.peek() === 'L') {
      args.push(readLiteral(r));
    } else {
      args.push(readType(r));
    }
  }
  r.take(); // E
  return args;
}

function readLiteral(r: Reader): string {
  r.take(); // L
  const type = r.take();
  const m = /^(n?)(\d+)E/.exec(r.s.slice(r.pos));
  if (!(type in BUILTINS) || !m) throw new Unsupported('literal');
  r.pos += m[0].length;
  const value = (m[1] ? '-' : '') + m[2];
  if (type === 'b') return value === '0' ? 'false' : 'true';
  if (type in LITERAL_SUFFIX) return value + LITERAL_SUFFIX[type];
  return `(${BUILTINS[type]})${value}`;
}

function readType(r: Reader): string {
  const c = r.peek();
  if (c === 'P') {
    r.take();
    return `${readType(r)}*`;
  }
  if (c === 'K') {
    r.take();
    return `${readType(r)} const`;
  }
  if (c in BUILTINS) {
    r.take();
    return BUILTINS[c];
  }
  if (/\d/.test(c)) {
    const id = r.sourceName();
    return r.peek() === 'I' ? `${id}<${readTemplateArgs(r).join(', ')}>` : id;
  }
  if (c === 'N') {
    r.take();
    const parts: string[] = [];
    while (r.peek() !== 'E') {
      if (r.peek() === 'I') parts[parts.length - 1] += `<${readTemplateArgs(r).join(', ')}>`;
      else parts.push(r.sourceName());
    }
    r.take();
    return parts.join('::');
  }
  // Substitutions (S_, T_), function types and the like need the full grammar: leave them to c++filt.
  throw new Unsupported(`type code '${c}'`);
}
