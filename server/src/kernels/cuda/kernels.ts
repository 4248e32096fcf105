import { type Language, type Node, Query } from 'web-tree-sitter';
import type { Kernel, Range } from '../model';
import { rangeOf } from '../ranges';
import { findLaunches, type RawLaunch } from './launches';
import { parseParams, parseTemplateParams } from './params';
import { isCompiledOut, kernelMacros } from './preprocessor';

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `ns::inner::k` → the `k` identifier node; plain identifiers map to themselves. */
function nameOf(declarator: Node): { name: Node | null; scope: string } {
  let node: Node | null = declarator.childForFieldName('declarator');
  const scope: string[] = [];
  while (node && node.type === 'qualified_identifier') {
    const s = node.childForFieldName('scope');
    if (s) scope.push(s.text);
    node = node.childForFieldName('name');
  }
  if (node?.type === 'template_function') node = node.childForFieldName('name');
  return { name: node && (node.type === 'identifier' || node.type === 'field_identifier') ? node : null, scope: scope.join('::') };
}

/** Enclosing namespaces, outermost first; anonymous namespaces spelled as the demangler does. */
function namespacesOf(node: Node): string[] {
  const names: string[] = [];
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'namespace_definition') names.unshift(p.childForFieldName('name')?.text.replace(/\s+/g, '') ?? '(anonymous namespace)');
  }
  return names;
}

function externC(node: Node): Node | null {
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'linkage_specification' && p.childForFieldName('value')?.text.replace(/"/g, '') === 'C') return p;
    if (p.type === 'namespace_definition') return null;
  }
  return null;
}

function findFunctionDeclarator(fn: Node): Node | null {
  let node = fn.childForFieldName('declarator');
  // Return types such as `T*` wrap the function declarator; kernels return void, but stay robust.
  while (node && node.type !== 'function_declarator') node = node.childForFieldName('declarator');
  return node;
}

/**
 * `__global__ void LAUNCH_BOUNDS(128) k(...)`: an unknown function-like macro between the return type and the name
 * makes tree-sitter end a declaration at the macro (with a missing `;`) and start a typeless function definition.
 * The definition's real head is that broken declaration.
 */
function headOf(fn: Node): Node {
  const previous = fn.previousSibling;
  const brokenHead = !fn.childForFieldName('type') && previous?.type === 'declaration' && previous.lastChild?.isMissing === true;
  return brokenHead && previous ? previous : fn;
}

function kernelFrom(fn: Node, macros: Set<string>, file: string, source: string): Kernel | null {
  const declarator = findFunctionDeclarator(fn);
  if (!declarator) return null;
  const head = headOf(fn);
  const prefix = source.slice(head.startIndex, declarator.startIndex);
  const macroUsed = [...macros].find((m) => new RegExp(`\\b${m}\\b`).test(prefix));
  if (!/\b__global__\b/.test(prefix) && !macroUsed) return null;
  const { name, scope } = nameOf(declarator);
  if (!name) return null;

  const template = fn.parent?.type === 'template_declaration' ? fn.parent : null;
  const linkage = externC(fn);
  // A single-declaration `extern "C" __global__ void k()` belongs to the kernel's range; a block form does not.
  const outer = linkage && linkage.childForFieldName('body')?.id === (template ?? fn).id ? linkage : template ?? head;
  const namespaces = [...namespacesOf(fn), ...(scope ? [scope] : [])];
  const qualifiedName = [...namespaces, name.text].join('::');
  const params = parseParams(declarator.childForFieldName('parameters'));
  const attributes: string[] = [];
  if (linkage) attributes.push('extern "C"');
  for (const child of [...(head === fn ? [] : head.children), ...fn.children]) {
    if (child.type === 'storage_class_specifier') attributes.push(child.text);
    if (child.type === '__global__') attributes.push('__global__');
    if (child.type === 'launch_bounds') attributes.push(collapse(child.text));
  }
  if (macroUsed) attributes.push(macroUsed);
  const launchBoundsInPrefix = /__launch_bounds__\s*\([^)]*\)/.exec(prefix);
  if (launchBoundsInPrefix && !attributes.some((a) => a.startsWith('__launch_bounds__'))) attributes.push(collapse(launchBoundsInPrefix[0]));
  const parameterList = declarator.childForFieldName('parameters');
  const signatureEnd = (parameterList ?? declarator).endIndex;
  const signature = collapse(source.slice(outer.startIndex, signatureEnd).replace(/\{[\s\S]*$/, ''));
  return {
    id: `cuda:${qualifiedName}`,
    name: name.text,
    qualifiedName,
    language: 'cuda',
    file,
    range: rangeOf(outer),
    nameRange: rangeOf(name),
    params,
    templateParams: parseTemplateParams(template),
    attributes,
    signature,
    launchSites: [],
  };
}

function linkLaunches(kernels: Kernel[], launches: RawLaunch[]): void {
  for (const launch of launches) {
    const candidates = kernels.filter((k) => k.name === launch.name && (!launch.scope || k.qualifiedName.endsWith(`${launch.scope.replace(/^::/, '')}::${k.name}`)));
    const target = candidates.find((k) => k.params.length === launch.site.args.length) ?? candidates[0];
    target?.launchSites.push(launch.site);
  }
}

/**
 * How deep under a unit a kernel or launch is looked for. Past it, nothing is found: every later step walks a
 * node's ancestors, and tree-sitter finds a parent by walking down from the root, so thousands of levels (nested
 * blocks in generated or hostile text) would cost seconds per node. Real kernels sit a few levels down.
 */
const MAX_MATCH_DEPTH = 128;

/** One compiled query per grammar: compiling it costs milliseconds, and every extraction needs it. */
const queries = new WeakMap<Language, Query>();

/** Function definitions and `<<<…>>>` launches under one node, in one pass of a tree-sitter query (native code). */
function collect(node: Node): { functions: Node[]; launches: Node[] } {
  const language = node.tree.language;
  let query = queries.get(language);
  if (!query) {
    query = new Query(language, '(function_definition) @fn (kernel_call_syntax) @launch');
    queries.set(language, query);
  }
  const out = { functions: [] as Node[], launches: [] as Node[] };
  for (const { name, node: captured } of query.captures(node, { maxStartDepth: MAX_MATCH_DEPTH })) (name === 'fn' ? out.functions : out.launches).push(captured);
  return out;
}

/** What one extraction unit holds, with positions as they were when it was extracted. */
interface Piece {
  /**
   * What the kernels depend on besides the unit's text (contextOf): a piece is reused only where it matches,
   * never where it is undefined. Of two units with the same text in different contexts, the later one's is kept.
   */
  context: string | undefined;
  line: number;
  column: number;
  kernels: Kernel[];
  launches: RawLaunch[];
}

/**
 * Per-document memory of extraction units by their text. A unit is a top-level node, or a declaration inside a
 * namespace or `extern "C" { … }` block (nested ones too): files often wrap all their kernels in one namespace,
 * and an edit there should cost the one declaration it touched, not the whole block. Every other unit's
 * kernels are reused with their lines shifted.
 */
export class CudaExtractionCache {
  macros = '';
  pieces = new Map<string, Piece>();
  /** Kernels the last extraction reused, and kernels it found with a fresh query pass: what an edit cost. */
  stats = { reused: 0, extracted: 0 };
}

/** A node whose kernels are extracted and cached together, with the headers of the blocks around it. */
interface Unit {
  node: Node;
  /** Source from each enclosing block's start to its body (`namespace a::b `, `extern "C" `), outermost first. */
  scope: string[];
}

/** The `{ … }` body of a namespace or linkage block, whose declarations become units of their own. */
function blockBody(node: Node): Node | null {
  if (node.type !== 'namespace_definition' && node.type !== 'linkage_specification') return null;
  const body = node.childForFieldName('body');
  // `extern "C" __global__ void k() {…}` has one declaration for a body; it stays whole, as its range includes the linkage.
  return body?.type === 'declaration_list' ? body : null;
}

/**
 * Blocks nested deeper than this stay one unit: real code nests namespaces a few levels, and splitting thousands of
 * levels (generated or hostile text) would recurse past the stack and copy the scope list at every level.
 */
const MAX_SPLIT_DEPTH = 16;

/** The extraction units under `parent`, in document order. */
function unitsOf(parent: Node, scope: string[]): Unit[] {
  return parent.children.flatMap((node) => {
    if (node.type === 'comment' || !node.isNamed) return [];
    const body = scope.length < MAX_SPLIT_DEPTH ? blockBody(node) : null;
    return body ? unitsOf(body, [...scope, node.text.slice(0, body.startIndex - node.startIndex)]) : [{ node, scope }];
  });
}

/**
 * What a unit's kernels depend on besides its text and the macros (which key the whole cache): the headers of
 * the blocks around it, which give qualified names and `extern "C"`; and, for a typeless definition, the broken
 * declaration before it that holds its head (headOf), with its tree (it always has a syntax error, see below)
 * and where it starts, since the kernel's range starts there. Liveness needs nothing more: a unit's ancestors
 * are namespaces and linkage blocks, never `#if` branches, which always lie inside one unit. JSON frames the
 * parts so that two different contexts never join into the same string. Kept apart from the text, which keys
 * the map, because joining the two would copy the unit's whole text on every lookup.
 *
 * Undefined for a unit with a syntax error, which is then always extracted afresh: error recovery looks past a
 * node's text, so the same text can come out as another tree in the next version (found by fuzzing).
 */
function contextOf({ node, scope }: Unit): string | undefined {
  if (node.hasError) return undefined;
  const head = node.type === 'function_definition' ? headOf(node) : node;
  const outside = head.id === node.id ? [] : [head.text, head.toString(), node.startPosition.row - head.startPosition.row, head.startPosition.column];
  return JSON.stringify([scope, outside]);
}

function shiftRange(range: Range, lines: number): Range {
  return { start: { line: range.start.line + lines, character: range.start.character }, end: { line: range.end.line + lines, character: range.end.character } };
}

function shiftLaunch(launch: RawLaunch, lines: number): RawLaunch {
  return { ...launch, site: { ...launch.site, range: shiftRange(launch.site.range, lines) } };
}

function shiftKernel(kernel: Kernel, lines: number): Kernel {
  return {
    ...kernel,
    range: shiftRange(kernel.range, lines),
    nameRange: shiftRange(kernel.nameRange, lines),
    params: kernel.params.map((p) => ({ ...p, range: shiftRange(p.range, lines) })),
    launchSites: [],
  };
}

/** Macros that expand to `__global__`, read from the text (a regex over the file is far cheaper than a tree walk). */
function macrosOf(source: string): Set<string> {
  const found = new Map<string, string>();
  for (const m of source.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)(?:\([^)]*\))?[ \t]+(.*)$/gm)) found.set(m[1], m[2]);
  return kernelMacros([...found].map(([name, value]) => ({ name, value })));
}

/**
 * Whether a unit can hold a kernel or a launch, by its text: a kernel's head says `__global__` (or a macro for
 * it) and a launch has `<<<`. A typeless definition's head is the broken declaration before it (headOf). The tree
 * query is native but visits every node, and a multi-megabyte lookup table has millions: this spares it.
 */
function mayHoldKernels(node: Node, text: string, macros: Set<string>): boolean {
  const marked = (t: string) => t.includes('__global__') || t.includes('<<<') || [...macros].some((m) => t.includes(m));
  if (marked(text)) return true;
  const head = node.type === 'function_definition' ? headOf(node) : node;
  return head.id !== node.id && marked(head.text);
}

function extractPiece(node: Node, text: string, context: string | undefined, macros: Set<string>, file: string, source: string): Piece {
  if (!mayHoldKernels(node, text, macros)) return { context, line: node.startPosition.row, column: node.startPosition.column, kernels: [], launches: [] };
  const { functions, launches } = collect(node);
  const kernels: Kernel[] = [];
  for (const fn of functions) {
    if (isCompiledOut(fn)) continue;
    const kernel = kernelFrom(fn, macros, file, source);
    if (kernel) kernels.push(kernel);
  }
  return { context, line: node.startPosition.row, column: node.startPosition.column, kernels, launches: findLaunches(launches) };
}

/** The unit's piece from the previous version, its lines shifted to where the unit is now; else extracted afresh. */
function pieceOf(unit: Unit, text: string, cache: CudaExtractionCache, macros: Set<string>, file: string, source: string): Piece {
  const context = contextOf(unit);
  const cached = cache.pieces.get(text);
  const { row, column } = unit.node.startPosition;
  if (context === undefined || !cached || cached.context !== context || cached.column !== column) {
    const piece = extractPiece(unit.node, text, context, macros, file, source);
    cache.stats.extracted += piece.kernels.length;
    return piece;
  }
  cache.stats.reused += cached.kernels.length;
  const lines = row - cached.line;
  return lines === 0 ? cached : { context, line: row, column, kernels: cached.kernels.map((k) => shiftKernel(k, lines)), launches: cached.launches.map((l) => shiftLaunch(l, lines)) };
}

/** Every live `__global__` function definition in a CUDA translation unit, with its launch sites. */
export function findCudaKernels(root: Node, file: string, cache = new CudaExtractionCache()): Kernel[] {
  // The root node starts at the first token, so a file that opens with whitespace has a root text shorter than
  // the file; padding it back makes nodes' offsets index it (else every slice below reads a few characters off).
  const source = root.text.padStart(root.endIndex);
  const macros = macrosOf(source);
  const macroKey = [...macros].sort().join(' ');
  if (cache.macros !== macroKey) {
    cache.macros = macroKey;
    cache.pieces.clear();
  }
  const next = new Map<string, Piece>();
  const kernels: Kernel[] = [];
  const launches: RawLaunch[] = [];
  cache.stats = { reused: 0, extracted: 0 };
  for (const unit of unitsOf(root, [])) {
    const text = unit.node.text;
    const piece = pieceOf(unit, text, cache, macros, file, source);
    next.set(text, piece);
    kernels.push(...piece.kernels.map((k) => ({ ...k, id: `cuda:${k.qualifiedName}`, launchSites: [] })));
    launches.push(...piece.launches);
  }
  cache.pieces = next;
  const seen = new Map<string, number>();
  for (const kernel of kernels) {
    const count = (seen.get(kernel.id) ?? 0) + 1;
    seen.set(kernel.id, count);
    if (count > 1) kernel.id = `${kernel.id}#${count}`;
  }
  linkLaunches(kernels, launches);
  return kernels;
}
