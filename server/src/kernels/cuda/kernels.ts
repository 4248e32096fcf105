import { type Language, type Node, Query } from 'web-tree-sitter';
import type { Kernel } from '../model';
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

/** Every live `__global__` function definition in a CUDA translation unit, with its launch sites. */
const queries = new WeakMap<Language, Query>();

/**
 * The nodes discovery needs, found in ONE pass of a tree-sitter query (native code), rather than a JS walk or
 * several descendantsOfType passes: on large files the pass over the tree is what costs.
 */
function collect(root: Node): { functions: Node[]; launches: Node[]; macros: Node[] } {
  const language = root.tree.language;
  let query = queries.get(language);
  if (!query) {
    query = new Query(language, '(function_definition) @fn (kernel_call_syntax) @launch (preproc_def) @macro (preproc_function_def) @macro');
    queries.set(language, query);
  }
  const out = { functions: [] as Node[], launches: [] as Node[], macros: [] as Node[] };
  for (const { name, node } of query.captures(root)) {
    if (name === 'fn') out.functions.push(node);
    else if (name === 'launch') out.launches.push(node);
    else out.macros.push(node);
  }
  return out;
}

export function findCudaKernels(root: Node, file: string): Kernel[] {
  const nodes = collect(root);
  const macros = kernelMacros(nodes.macros);
  const source = root.text;
  const kernels: Kernel[] = [];
  const seen = new Map<string, number>();
  for (const fn of nodes.functions) {
    if (isCompiledOut(fn)) continue;
    const kernel = kernelFrom(fn, macros, file, source);
    if (!kernel) continue;
    const count = (seen.get(kernel.id) ?? 0) + 1;
    seen.set(kernel.id, count);
    if (count > 1) kernel.id = `${kernel.id}#${count}`;
    kernels.push(kernel);
  }
  linkLaunches(kernels, findLaunches(nodes.launches));
  return kernels;
}
