// A CUDA file as a list of top-level declarations ("units"), each with a kind and a name, so an answer that
// rewrites a kernel and its helpers can be merged into the file declaration by declaration (assemble.ts), and a
// prompt can carry just what a kernel depends on (context.ts). Namespace and `extern "C"` blocks are looked into:
// their declarations are units with the block's scope.

import type { Node } from 'web-tree-sitter';
import { createParser } from '../kernels/parsers';

export type UnitKind = 'include' | 'macro' | 'function' | 'prototype' | 'type' | 'variable' | 'other';

export interface Unit {
  kind: UnitKind;
  /** The declared name without scope or template arguments; '' for 'other'. */
  name: string;
  /** Enclosing namespaces, `a::b`; '' at file scope. */
  scope: string;
  text: string;
  /** Offsets into the source, end exclusive. */
  start: number;
  end: number;
  /** Zero-based line of `start`. */
  line: number;
  /** Functions: `__global__` or `__device__` (also through a macro); every other kind: true. */
  device: boolean;
  /** A `__global__` function. */
  kernel: boolean;
}

export interface ParsedUnits {
  units: Unit[];
  /** Zero-based line of the first syntax error, if tree-sitter found one. */
  errorLine?: number;
}

const TYPE_NODES = new Set(['struct_specifier', 'class_specifier', 'union_specifier', 'enum_specifier']);

/** Macros that expand to `__global__` or `__device__` (`#define KERNEL __global__`), read from the text. */
function qualifierMacros(source: string): { kernel: Set<string>; device: Set<string> } {
  const kernel = new Set<string>();
  const device = new Set<string>();
  for (const m of source.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)(?:\([^)]*\))?[ \t]+(.*)$/gm)) {
    if (/\b__global__\b/.test(m[2])) kernel.add(m[1]);
    if (/\b__device__\b/.test(m[2])) device.add(m[1]);
  }
  return { kernel, device };
}

function lastName(text: string): string {
  const plain = text.replace(/<[^<>]*>/g, '').replace(/\s+/g, '');
  return plain.slice(plain.lastIndexOf('::') + 1).replace(/^:/, '');
}

/** The identifier a declarator declares: walks `*p`, `a[4]`, `x = 1`, `f(…)` down to the name. */
function declaredName(declarator: Node | null): string {
  let node = declarator;
  while (node && !['identifier', 'field_identifier', 'qualified_identifier', 'type_identifier', 'template_function', 'destructor_name', 'operator_name'].includes(node.type)) {
    node = node.childForFieldName('declarator') ?? node.namedChildren.find((c) => c !== null) ?? null;
  }
  return node ? lastName(node.text) : '';
}

function functionDeclarator(node: Node): Node | null {
  let d = node.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  return d;
}

interface Classified {
  kind: UnitKind;
  name: string;
  /** For functions: the text before the name, where `__global__` / `__device__` stand. */
  head?: string;
}

function classify(node: Node, source: string): Classified {
  switch (node.type) {
    case 'preproc_include':
      return { kind: 'include', name: node.childForFieldName('path')?.text ?? node.text.trim() };
    case 'preproc_def':
    case 'preproc_function_def':
      return { kind: 'macro', name: node.childForFieldName('name')?.text ?? '' };
    case 'function_definition': {
      const declarator = functionDeclarator(node);
      if (!declarator) return { kind: 'other', name: '' };
      return { kind: 'function', name: declaredName(declarator.childForFieldName('declarator')), head: source.slice(node.startIndex, declarator.startIndex) };
    }
    case 'template_declaration': {
      const inner = node.namedChildren.find((c) => c !== null && c.type !== 'template_parameter_list');
      if (!inner) return { kind: 'other', name: '' };
      const classified = classify(inner, source);
      return classified.head !== undefined ? { ...classified, head: source.slice(node.startIndex, inner.startIndex) + classified.head } : classified;
    }
    case 'declaration': {
      const declarator = node.childForFieldName('declarator');
      if (declarator && functionDeclarator(node)) return { kind: 'prototype', name: declaredName(functionDeclarator(node)?.childForFieldName('declarator') ?? null) };
      if (!declarator) {
        const type = node.childForFieldName('type');
        if (type && TYPE_NODES.has(type.type)) return { kind: 'type', name: type.childForFieldName('name')?.text ?? '' };
      }
      return { kind: 'variable', name: declaredName(declarator) };
    }
    case 'type_definition':
      return { kind: 'type', name: declaredName(node.childForFieldName('declarator')) };
    case 'alias_declaration':
      return { kind: 'type', name: node.childForFieldName('name')?.text ?? '' };
    default:
      if (TYPE_NODES.has(node.type)) return { kind: 'type', name: node.childForFieldName('name')?.text ?? '' };
      return { kind: 'other', name: '' };
  }
}

function firstError(node: Node): Node | null {
  if (!node.hasError) return null;
  if (node.type === 'ERROR' || node.isMissing) return node;
  for (const child of node.children) {
    const found = child && firstError(child);
    if (found) return found;
  }
  return node;
}

/** The units of `source`, in order. */
export async function parseUnits(source: string): Promise<ParsedUnits> {
  const parser = await createParser('cuda');
  const tree = parser.parse(source);
  try {
    if (!tree) throw new Error('tree-sitter returned no tree for a CUDA source');
    const macros = qualifierMacros(source);
    const units: Unit[] = [];
    const visit = (parent: Node, scope: string) => {
      const children = parent.children.filter((c): c is Node => c !== null);
      for (let i = 0; i < children.length; i++) {
        const node = children[i];
        if (node.type === 'comment' || !node.isNamed) continue;
        const body = node.childForFieldName('body');
        if ((node.type === 'namespace_definition' || node.type === 'linkage_specification') && body?.type === 'declaration_list') {
          const name = node.type === 'namespace_definition' ? (node.childForFieldName('name')?.text.replace(/\s+/g, '') ?? '(anonymous namespace)') : '';
          visit(body, name ? (scope ? `${scope}::${name}` : name) : scope);
          continue;
        }
        let start = node.startIndex;
        let end = node.endIndex;
        // `struct S {…};` is a specifier and a separate `;` at file scope.
        if (TYPE_NODES.has(node.type) && children[i + 1]?.type === ';') end = children[i + 1].endIndex;
        const classified = classify(node.type === 'linkage_specification' && body ? body : node, source);
        // `__global__ void LAUNCH_BOUNDS(128) k()`: tree-sitter ends a broken declaration at the macro; the head is that declaration.
        const previous = units.at(-1);
        if (node.type === 'function_definition' && !node.childForFieldName('type') && previous && previous.kind === 'variable' && children[i - 1]?.lastChild?.isMissing) {
          units.pop();
          start = previous.start;
          classified.head = source.slice(start, functionDeclarator(node)?.startIndex ?? node.startIndex);
        }
        const head = classified.head ?? '';
        const hasMacro = (set: Set<string>) => [...set].some((m) => new RegExp(`\\b${m}\\b`).test(head));
        const kernel = classified.kind === 'function' && (/\b__global__\b/.test(head) || hasMacro(macros.kernel));
        const device = classified.kind !== 'function' || kernel || /\b__device__\b/.test(head) || hasMacro(macros.device);
        units.push({ kind: classified.kind, name: classified.name, scope, text: source.slice(start, end), start, end, line: lineOf(source, start), device, kernel });
      }
    };
    visit(tree.rootNode, '');
    const error = firstError(tree.rootNode);
    return { units, ...(error ? { errorLine: error.startPosition.row } : {}) };
  } finally {
    tree?.delete();
    parser.delete();
  }
}

function lineOf(source: string, offset: number): number {
  let line = 0;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) line++;
  return line;
}

/** Identifiers a piece of code mentions (a superset of what it uses: comments and strings count too). */
export function identifiersIn(text: string): Set<string> {
  return new Set(text.match(/[A-Za-z_]\w*/g) ?? []);
}
