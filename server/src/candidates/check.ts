// The candidate check: before anything compiles, is this candidate kernel code that can replace the baseline's
// kernel? Returns every problem (construct, line, why) or the translation unit to compile.
//
// Steps: parse the baseline file (its items, macros, the kernel's place); drop from the candidate what is the same
// as the baseline's own code (a whole-file candidate is a copy of the user's file with the kernel rewritten: the
// copy of the user's host code is not the candidate's and stays the user's); check the candidate's directives;
// expand the macros it can see, so the structure is read as the compiler will read it; refuse syntax errors and
// every construct that is not device code (structure.ts); find the kernel and compare its signature; assemble the
// translation unit (translation-unit.ts).

import type { Node, Parser } from 'web-tree-sitter';
import { findCudaKernels } from '../kernels/cuda/kernels';
import { unreadableReason } from '../kernels/language';
import type { Kernel } from '../kernels/model';
import { createParser } from '../kernels/parsers';
import { attributeProblems } from './attributes';
import { itemsOf, viewBaseline, type BaselineInput, type BaselineView } from './baseline';
import { definitionIdentity } from './syntax';
import { checkDirectives, type DirectiveResult } from './directives';
import { MacroExpander } from './macros';
import { formatProblem, type Problem } from './problem';
import { matchKernel } from './signature';
import { checkStructure } from './structure';
import { translationUnit } from './translation-unit';

export type { Problem } from './problem';

export interface CandidateCheckOptions {
  /** The candidate's path (messages and `#line` name it). */
  file: string;
  baseline: BaselineInput;
  /** The spec's template arguments, for a template kernel. */
  templateArgs?: readonly string[];
}

export interface CandidateCheck {
  ok: boolean;
  /** Sorted by line; empty when ok. */
  problems: Problem[];
  /** What to compile in place of the user's file (when ok). */
  tuSource?: string;
  /** The candidate's kernel (when found). */
  kernel?: Kernel;
}

/** Directives that only choose branches or stop the build; every other one must be one the tree-sitter pass read. */
const BRANCH_DIRECTIVES = new Set(['', 'if', 'ifdef', 'ifndef', 'elif', 'elifdef', 'elifndef', 'else', 'endif', 'error', 'warning']);
const MAX_SYNTAX_PROBLEMS = 3;

function syntaxProblems(root: Node): Problem[] {
  const out: Problem[] = [];
  const walk = (n: Node) => {
    if (out.length >= MAX_SYNTAX_PROBLEMS) return;
    if (n.type === 'ERROR' || n.isMissing) {
      const near = n.isMissing ? `a missing '${n.type}'` : `'${n.text.replace(/\s+/g, ' ').trim().slice(0, 40)}'`;
      out.push({ line: n.startPosition.row, construct: 'syntax error', reason: `the candidate does not parse here (near ${near}): it must be complete CUDA C++` });
      return;
    }
    if (n.hasError) for (const c of n.children) if (c) walk(c);
  };
  walk(root);
  return out;
}

/**
 * The candidate's text with the items it shares with the baseline blanked (lines kept), and the problems of items
 * that define again, differently, what the baseline file defines outside the kernel (only the kernel is replaced).
 */
function ownCode(parser: Parser, source: string, view: BaselineView): { text: string; problems: Problem[] } {
  const tree = parse(parser, source, 'the candidate');
  try {
    let text = source;
    const problems: Problem[] = [];
    for (const item of itemsOf(tree.rootNode.namedChildren)) {
      const { node } = item;
      if (view.items.has(item.key)) {
        text = text.slice(0, node.startIndex) + text.slice(node.startIndex, node.endIndex).replace(/[^\n]/g, ' ') + text.slice(node.endIndex);
        continue;
      }
      const identity = definitionIdentity(node);
      const theirs = identity === undefined ? undefined : view.definitions.get(`${item.scope}\u0000${identity}`);
      if (identity && theirs !== undefined) {
        const name = identity.replace(/^\w+:/, '').replace(/\(.*$/s, '');
        problems.push({ line: node.startPosition.row, construct: `definition of '${name}'`, reason: `the baseline file defines '${name}' too (its line ${theirs + 1}), and only the kernel is replaced: give the candidate's version another name, or keep the baseline's as it is` });
      }
    }
    return { text, problems };
  } finally {
    tree.delete();
  }
}

function parse(parser: Parser, text: string, what: string) {
  const tree = parser.parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${what}`);
  return tree;
}

export async function checkCandidate(source: string, options: CandidateCheckOptions): Promise<CandidateCheck> {
  const unreadable = unreadableReason(source);
  if (unreadable) return { ok: false, problems: [{ line: 0, construct: 'file', reason: unreadable }] };
  const parser = await createParser('cuda');
  try {
    const baseTree = parse(parser, options.baseline.text, options.baseline.file);
    let view: BaselineView;
    try {
      view = viewBaseline(baseTree.rootNode, options.baseline);
    } finally {
      baseTree.delete();
    }
    const { text: own, problems: redefinitions } = ownCode(parser, source, view);
    const ownTree = parse(parser, own, options.file);
    let directives: DirectiveResult;
    try {
      directives = checkDirectives(ownTree.rootNode, view.preprocessor);
    } finally {
      ownTree.delete();
    }
    const expander = new MacroExpander(view.preprocessor.macros, directives.events);
    const expanded = expander.expand(own);
    const problems: Problem[] = [...redefinitions, ...expander.problems.map((p) => ({ line: p.line, construct: p.construct, reason: p.message })), ...directives.problems];
    for (const d of expander.directives) {
      if (!BRANCH_DIRECTIVES.has(d.name) && !directives.lines.has(d.line)) problems.push({ line: d.line, construct: `#${d.name}`, reason: 'a directive the checker could not read in context (inside a broken declaration?): put it on its own line between declarations' });
    }
    const tree = parse(parser, expanded, options.file);
    let kernel: Kernel | undefined;
    try {
      problems.push(...syntaxProblems(tree.rootNode), ...attributeProblems(expanded), ...checkStructure(tree.rootNode, { kernelNamespaces: view.kernelNamespaces }));
      const match = matchKernel(findCudaKernels(tree.rootNode, options.file), options.baseline.kernel, options.templateArgs ?? []);
      if ('problem' in match) problems.push(match.problem);
      else kernel = match.kernel;
    } finally {
      tree.delete();
    }
    const unique = [...new Map(problems.map((p) => [`${p.line}\u0000${p.construct}\u0000${p.reason}`, p])).values()].sort((a, b) => a.line - b.line);
    if (unique.length) return { ok: false, problems: unique, ...(kernel ? { kernel } : {}) };
    return { ok: true, problems: [], tuSource: translationUnit(view, { file: options.file, text: own, includes: directives.baselineIncludes }, directives.ownMacros), ...(kernel ? { kernel } : {}) };
  } finally {
    parser.delete();
  }
}

/** The refusal as one message: which candidate, how many problems, each with its line. */
export function describeRefusal(file: string, problems: readonly Problem[]): string {
  const n = problems.length;
  return `candidate ${file} refused before compiling (${n} problem${n === 1 ? '' : 's'}; a candidate brings only the kernel's device code):\n  ${problems.map((p) => formatProblem(file, p)).join('\n  ')}`;
}
