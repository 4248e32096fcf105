// Problems in a spec file, placed on the JSON node they are about, for the editor to underline. Pure: text in,
// diagnostics out (lsp/ turns them into LSP diagnostics).

// The ESM entry: the package's default UMD entry hides its requires from esbuild, so a bundle would lack them.
import { getNodeValue, type Node, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { indexLines, positionAt } from '../kernels/lines';
import type { Range } from '../kernels/model';
import { excessiveNestingAt, excessiveNestingMessage } from './json-depth';
import { JSONC_OPTIONS, normalizeSpec } from './store';
import { splitPointer, validate, type SpecIssue } from './validate';

export interface SpecDiagnostic {
  range: Range;
  severity: 'error' | 'warning';
  message: string;
  /** JSON pointer of the node the problem is about (absent for syntax errors). */
  path?: string;
}

/** Walks a pointer down the tree; stops at the deepest node that exists (a missing property lands on its object). */
function nodeAt(root: Node, pointer: string): { node: Node; complete: boolean } {
  let node = root;
  for (const segment of splitPointer(pointer)) {
    let next: Node | undefined;
    if (node.type === 'array') next = node.children?.[Number(segment)];
    else if (node.type === 'object') {
      // The last property of a name wins in JSON.parse, so point at that one.
      const properties = (node.children ?? []).filter((p) => p.children?.[0]?.value === segment);
      next = properties[properties.length - 1]?.children?.[1];
    }
    if (!next) return { node, complete: false };
    node = next;
  }
  return { node, complete: true };
}

/** The key token of the property whose value is `node`, if it is one. */
function keyOf(node: Node): Node | undefined {
  return node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
}

/** Offsets to underline for an issue: a key, an expression's bad characters, a value, or a container's opening. */
function spanFor(root: Node, text: string, issue: SpecIssue): { offset: number; length: number } {
  const { node, complete } = nodeAt(root, issue.path);
  if (issue.key && complete) {
    const key = keyOf(node);
    if (key) return { offset: key.offset, length: key.length };
  }
  if (complete && issue.span && node.type === 'string') {
    // Only when the raw token has no escapes do string offsets map one-to-one onto the text.
    const raw = text.slice(node.offset, node.offset + node.length);
    if (raw === JSON.stringify(node.value)) return { offset: node.offset + 1 + issue.span.start, length: Math.max(1, issue.span.end - issue.span.start) };
  }
  if (node.type === 'object' || node.type === 'array') {
    // A whole multi-line object would be one big squiggle: mark its key, or just its opening bracket.
    const key = keyOf(node);
    return key ? { offset: key.offset, length: key.length } : { offset: node.offset, length: 1 };
  }
  return { offset: node.offset, length: node.length };
}

function duplicateKeys(root: Node): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const walk = (node: Node, pointer: string): void => {
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const key = property.children?.[0];
        const value = property.children?.[1];
        if (!key) continue;
        const name = String(key.value);
        if (seen.has(name)) issues.push({ path: `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, key: true, message: `duplicate property '${name}': only this last one counts` });
        seen.add(name);
        if (value) walk(value, `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => walk(child, `${pointer}/${i}`));
    }
  };
  walk(root, '');
  return issues;
}

/** Everything wrong or unfinished in a spec's text, each on its own node. Syntax errors hide the rest. */
export function specDiagnostics(text: string): SpecDiagnostic[] {
  const lines = indexLines(text);
  const range = (offset: number, length: number): Range => ({ start: positionAt(lines, offset), end: positionAt(lines, offset + length) });
  const deep = excessiveNestingAt(text);
  if (deep !== undefined) return [{ range: range(deep, 1), severity: 'error', message: `JSON ${excessiveNestingMessage}` }];
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, JSONC_OPTIONS);
  if (errors.length > 0 || !root) {
    const found = errors.map((e) => ({ range: range(e.offset, Math.max(e.length, e.offset < text.length ? 1 : 0)), severity: 'error' as const, message: `JSON syntax: ${printParseErrorCode(e.error)}` }));
    return found.length ? found : [{ range: range(0, 0), severity: 'error', message: 'the spec file is empty' }];
  }
  const result = validate(normalizeSpec(getNodeValue(root)));
  const out: SpecDiagnostic[] = [];
  const add = (issue: SpecIssue, severity: 'error' | 'warning', prefix = ''): void => {
    const { offset, length } = spanFor(root, text, issue);
    out.push({ range: range(offset, length), severity, message: prefix + issue.message, path: issue.path });
  };
  for (const issue of result.errors) add(issue, 'error');
  for (const issue of duplicateKeys(root)) add(issue, 'warning');
  for (const issue of result.warnings) add(issue, 'warning');
  for (const unknown of result.unknowns) add({ path: unknown.path, message: unknown.message }, 'warning', 'to fill in: ');
  return out.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}
