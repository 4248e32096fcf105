// The preprocessor lines of a candidate: which headers it may include, which macros it may define or undefine,
// which pragmas it may use. Read from the tree-sitter tree (preproc_* nodes), never from the raw text.
//
// Includes: system and CUDA headers with `<…>`, except those whose only use is the host's operating system
// (threads, files, processes, sockets, dynamic loading) or that run code at program start (<iostream>'s static
// initializer). A candidate has no host code, so such a header could only be used for what is refused anyway;
// refusing it up front names the intent. <cstdio>/<cstdlib> stay allowed: device printf and malloc need them, and
// system() & co. cannot be called from device code. A quoted include is allowed only when the baseline file
// includes the same header (the user's own code): anything else would bring unchecked code into the candidate.

import type { Node } from 'web-tree-sitter';
import type { Problem } from './problem';
import { macroBody, type MacroDefinition, type MacroEvent } from './macros';
import { reservedReason } from './names';

/** Headers refused with `<…>`: exact names, and folders (`sys/`). */
const HOST_OS_HEADERS = new Set([
  'thread', 'mutex', 'shared_mutex', 'future', 'condition_variable', 'stop_token', 'semaphore', 'latch', 'barrier',
  'fstream', 'iostream', 'filesystem', 'csignal', 'signal.h', 'unistd.h', 'fcntl.h', 'dirent.h', 'dlfcn.h', 'pthread.h', 'spawn.h',
  'netdb.h', 'pwd.h', 'grp.h', 'syscall.h', 'execinfo.h', 'link.h', 'ifaddrs.h', 'termios.h', 'poll.h', 'sched.h',
]);
const HOST_OS_FOLDERS = ['sys/', 'netinet/', 'arpa/', 'linux/', 'asm/', 'bits/', 'net/'];

/** `#pragma` words a candidate may use: loop unrolling (device code) and include guards. */
const ALLOWED_PRAGMAS = new Set(['unroll', 'nounroll', 'once']);

export interface UserPreprocessor {
  /** Macros the baseline file defines before its kernel (they reach the candidate's code). */
  macros: ReadonlyMap<string, MacroDefinition>;
  /** Every `#include "…"` path of the baseline file, as written. */
  quotedIncludes: ReadonlySet<string>;
}

export interface DirectiveResult {
  problems: Problem[];
  /** What each `#define`/`#undef` line does, for the expansion. */
  events: Map<number, MacroEvent>;
  /** Names the candidate defines (and that are not the baseline's identical definitions). */
  ownMacros: Set<string>;
  /** Lines of the directives read here (includes, defines, pragmas, undefs…). */
  lines: Set<number>;
  /** Its `#include "…"` of the baseline's headers, by offset in the text checked. */
  baselineIncludes: { start: number; end: number; name: string }[];
}

const collapse = (tokens: readonly { text: string }[]) => tokens.map((t) => t.text).join(' ');

function sameDefinition(a: MacroDefinition, b: MacroDefinition): boolean {
  return a.variadic === b.variadic && (a.params ?? []).join(',') === (b.params ?? []).join(',') && !!a.params === !!b.params && collapse(a.body) === collapse(b.body);
}

/** A `#define`'s name, parameters and body. */
export function definitionOf(node: Node): MacroDefinition {
  const name = node.childForFieldName('name')?.text ?? '';
  const paramsNode = node.childForFieldName('parameters');
  const params = paramsNode?.namedChildren.filter((c) => c.type === 'identifier').map((c) => c.text);
  const variadic = paramsNode?.children.some((c) => c.text === '...') ?? false;
  const value = node.childForFieldName('value');
  return { name, ...(paramsNode ? { params } : {}), variadic, body: value ? macroBody(value.text, value.startPosition.row) : [], line: node.startPosition.row };
}

/** `#pragma unroll 4` → `unroll`; `_Pragma("GCC poison x")` → `GCC`. */
export function pragmaWord(text: string): string {
  return text.trim().split(/[\s(]/)[0] ?? '';
}

export function pragmaProblem(word: string, line: number, spelled: string): Problem | undefined {
  if (ALLOWED_PRAGMAS.has(word)) return undefined;
  return { line, construct: `${spelled} ${word}`.trim(), reason: `only #pragma ${[...ALLOWED_PRAGMAS].join(', ')} may appear in a candidate (other pragmas change how the compiler treats the surrounding code)` };
}

function includeProblem(node: Node, user: UserPreprocessor): Problem | undefined {
  const path = node.childForFieldName('path');
  const line = node.startPosition.row;
  if (!path || (path.type !== 'system_lib_string' && path.type !== 'string_literal')) {
    return { line, construct: `#include ${path?.text ?? ''}`.trim(), reason: 'a computed #include (a macro for a file name): write the header name out' };
  }
  const name = path.text.slice(1, -1);
  const shown = `#include ${path.text}`;
  if (name.startsWith('/') || name.split('/').includes('..')) {
    return { line, construct: shown, reason: 'an absolute path or a path with ..: a candidate includes only system and CUDA headers' };
  }
  if (path.type === 'string_literal') {
    if (user.quotedIncludes.has(name)) return undefined;
    return { line, construct: shown, reason: 'a local file the baseline does not include: a candidate is one file of device code (it may include the headers the baseline file includes, and system or CUDA headers with <…>)' };
  }
  if (HOST_OS_HEADERS.has(name) || HOST_OS_FOLDERS.some((f) => name.startsWith(f))) {
    return { line, construct: shown, reason: 'a header for the host operating system (threads, files, processes, signals, sockets) or with a static initializer: a candidate has no host code to use it' };
  }
  return undefined;
}

/** Checks every directive of the candidate (`root` is its tree, with the baseline's identical items blanked). */
export function checkDirectives(root: Node, user: UserPreprocessor): DirectiveResult {
  const problems: Problem[] = [];
  const events = new Map<number, MacroEvent>();
  const ownMacros = new Set<string>();
  const defined = new Map<string, MacroDefinition>();
  const lines = new Set<number>();
  const baselineIncludes: DirectiveResult['baselineIncludes'] = [];
  for (const node of root.descendantsOfType(['preproc_include', 'preproc_def', 'preproc_function_def', 'preproc_call'])) {
    if (!node) continue;
    const line = node.startPosition.row;
    lines.add(line);
    if (node.type === 'preproc_include') {
      const p = includeProblem(node, user);
      if (p) problems.push(p);
      const path = node.childForFieldName('path');
      if (!p && path?.type === 'string_literal') baselineIncludes.push({ start: path.startIndex, end: path.endIndex, name: path.text.slice(1, -1) });
      continue;
    }
    if (node.type === 'preproc_def' || node.type === 'preproc_function_def') {
      const macro = definitionOf(node);
      const theirs = user.macros.get(macro.name);
      events.set(line, { kind: 'define', macro });
      if (theirs && sameDefinition(theirs, macro)) continue; // the baseline's own macro, repeated as it is
      const construct = `#define ${macro.name}`;
      const reserved = reservedReason(macro.name);
      if (theirs) problems.push({ line, construct, reason: `redefines the baseline file's macro ${macro.name} (line ${theirs.line + 1} there): choose another name` });
      else if (reserved) problems.push({ line, construct, reason: reserved });
      const earlier = defined.get(macro.name);
      if (earlier && !sameDefinition(earlier, macro)) problems.push({ line, construct, reason: `${macro.name} is already defined differently at line ${earlier.line + 1}: define each macro once` });
      defined.set(macro.name, macro);
      ownMacros.add(macro.name);
      continue;
    }
    const directive = node.childForFieldName('directive')?.text.replace(/^#\s*/, '') ?? '';
    const argument = node.childForFieldName('argument')?.text ?? '';
    if (directive === 'pragma') {
      const p = pragmaProblem(pragmaWord(argument), line, '#pragma');
      if (p) problems.push(p);
    } else if (directive === 'undef') {
      const name = macroBody(argument, line)[0]?.text ?? '';
      events.set(line, { kind: 'undef', name });
      if (!defined.has(name)) problems.push({ line, construct: `#undef ${name}`, reason: 'a candidate may undefine only macros it defined itself (this one belongs to the baseline file, a header or the compiler)' });
    } else if (directive !== 'error' && directive !== 'warning') {
      problems.push({ line, construct: `#${directive}`, reason: directive === 'line' ? '#line changes which file and line the compiler reports: refused so messages point at the real code' : 'a directive a candidate does not need (allowed: #include, #define, #undef of its own macros, #if/#ifdef/#else/#endif, #pragma unroll, #error, #warning)' });
    }
  }
  return { problems, events, ownMacros, lines, baselineIncludes };
}
