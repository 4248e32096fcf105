// What a candidate is checked and assembled against: the user's baseline file, read once with tree-sitter.
//  - its items outside the kernel (declarations and definitions, keyed by the namespaces around them and their
//    tokens), so a whole-file candidate — a copy of the user's file with the kernel rewritten, as the examples'
//    candidates are — contributes only what differs from the user's file;
//  - the macros defined before the kernel (they reach the candidate's code) and the headers it includes;
//  - where the kernel is, and the namespace / `extern "C"` blocks around it.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Node } from 'web-tree-sitter';
import { isCompiledOut } from '../kernels/cuda/preprocessor';
import type { Kernel } from '../kernels/model';
import { definitionOf, type UserPreprocessor } from './directives';
import type { MacroDefinition } from './macros';
import { definitionIdentity, tokensOf } from './syntax';

export interface BaselineInput {
  /** Absolute path of the user's file. */
  file: string;
  text: string;
  /** The kernel the candidate replaces, as discovery found it in `text`. */
  kernel: Kernel;
}

export interface BaselineView {
  input: BaselineInput;
  /** Keys (itemsOf) of the file's items outside the kernel. */
  items: Set<string>;
  /** What those items define (scope and definitionIdentity) → the line that defines it. */
  definitions: Map<string, number>;
  preprocessor: UserPreprocessor;
  /** `a`, `b` and `a::b` for a kernel `a::b::k`. */
  kernelNamespaces: Set<string>;
  /** The kernel's definition, as offsets into the text. */
  start: number;
  end: number;
  /** Headers of the blocks around the kernel, outermost first: `namespace a `, `extern "C" `. */
  blocks: string[];
  /** `#include "x.h"` paths rewritten to the header beside the user's file (the unit is compiled elsewhere). */
  includeRewrites: { start: number; end: number; text: string }[];
  /** The same rewrites by header name, for the candidate's includes of the baseline's headers. */
  headers: Map<string, string>;
}

const blockTypes = new Set(['namespace_definition', 'linkage_specification']);
const branchTypes = new Set(['preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef', 'preproc_else']);
const directiveTypes = new Set(['comment', 'preproc_include', 'preproc_def', 'preproc_function_def', 'preproc_call']);

/** Items of a namespace-scope block with the headers of the blocks around them; directives are not items. */
export function itemsOf(children: readonly (Node | null)[], scope: string[] = []): { node: Node; key: string; scope: string }[] {
  return children.flatMap((n) => {
    if (!n || directiveTypes.has(n.type)) return [];
    const body = n.childForFieldName('body');
    if (blockTypes.has(n.type) && body?.type === 'declaration_list') {
      return itemsOf(body.namedChildren, [...scope, n.text.slice(0, body.startIndex - n.startIndex).replace(/\s+/g, ' ').trim()]);
    }
    if (branchTypes.has(n.type)) {
      const skip = new Set([n.childForFieldName('condition')?.id, n.childForFieldName('name')?.id]);
      return itemsOf(n.namedChildren.filter((c) => c && !skip.has(c.id)), scope);
    }
    const where = scope.join(' | ');
    return [{ node: n, key: `${where}\u0000${tokensOf(n)}`, scope: where }];
  });
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function macrosBefore(root: Node, end: number): Map<string, MacroDefinition> {
  const macros = new Map<string, MacroDefinition>();
  const ambiguous = new Set<string>();
  for (const n of root.descendantsOfType(['preproc_def', 'preproc_function_def', 'preproc_call'])) {
    if (!n || n.startIndex >= end || isCompiledOut(n)) continue;
    if (n.type === 'preproc_call') {
      if (n.childForFieldName('directive')?.text.replace(/^#\s*/, '') === 'undef') macros.delete(n.childForFieldName('argument')?.text.trim() ?? '');
      continue;
    }
    const macro = definitionOf(n);
    // Defined in several branches: which one the compiler sees depends on flags, so it is not expanded.
    if (macros.has(macro.name) || ambiguous.has(macro.name)) ambiguous.add(macro.name);
    macros.set(macro.name, macro);
  }
  for (const name of ambiguous) macros.delete(name);
  return macros;
}

function quotedIncludes(root: Node, file: string): { paths: Set<string>; rewrites: BaselineView['includeRewrites']; headers: Map<string, string> } {
  const paths = new Set<string>();
  const headers = new Map<string, string>();
  const rewrites: BaselineView['includeRewrites'] = [];
  for (const n of root.descendantsOfType('preproc_include')) {
    const path = n?.childForFieldName('path');
    if (!path || path.type !== 'string_literal') continue;
    const name = path.text.slice(1, -1);
    paths.add(name);
    const beside = join(dirname(file), name);
    if (name.startsWith('/') || !existsSync(beside)) continue;
    if (/["\n\r]/.test(beside)) throw new Error(`the baseline's header ${beside} has a quote or a line break in its path, which an #include cannot spell: rename the folder`);
    rewrites.push({ start: path.startIndex, end: path.endIndex, text: `"${beside}"` });
    headers.set(name, `"${beside}"`);
  }
  return { paths, rewrites, headers };
}

/** Reads the baseline file's tree (`root` parses `input.text`). */
export function viewBaseline(root: Node, input: BaselineInput): BaselineView {
  const starts = lineStarts(input.text);
  const { range } = input.kernel;
  const start = starts[range.start.line] + range.start.character;
  const end = starts[range.end.line] + range.end.character;
  let node: Node | null = root.descendantForIndex(start, Math.max(start, end - 1));
  while (node && !(node.startIndex <= start && node.endIndex >= end)) node = node.parent;
  const blocks: string[] = [];
  for (let p = node; p; p = p.parent) {
    const body = p.childForFieldName('body');
    if (blockTypes.has(p.type) && body?.type === 'declaration_list' && body.startIndex <= start && body.endIndex >= end) {
      blocks.unshift(p.text.slice(0, body.startIndex - p.startIndex));
    }
  }
  const outside = itemsOf(root.namedChildren).filter(({ node: n }) => n.endIndex <= start || n.startIndex >= end);
  const items = new Set(outside.map((i) => i.key));
  const definitions = new Map<string, number>();
  for (const i of outside) {
    const identity = definitionIdentity(i.node);
    if (identity) definitions.set(`${i.scope}\u0000${identity}`, i.node.startPosition.row);
  }
  const parts = input.kernel.qualifiedName.split('::').slice(0, -1);
  const kernelNamespaces = new Set(parts.flatMap((_, i) => [parts[i], parts.slice(0, i + 1).join('::')]));
  const includes = quotedIncludes(root, input.file);
  return {
    input,
    items,
    definitions,
    preprocessor: { macros: macrosBefore(root, start), quotedIncludes: includes.paths },
    kernelNamespaces,
    start,
    end,
    blocks,
    includeRewrites: includes.rewrites,
    headers: includes.headers,
  };
}
