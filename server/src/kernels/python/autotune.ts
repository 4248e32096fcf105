// Reads `@triton.autotune(configs=[triton.Config({...}, num_warps=4, num_stages=2), ...])` statically.
// Only literal shapes are followed (lists, tuples, `a + b`, and a module-level `NAME = [...]` in the same file);
// configs built by comprehensions or function calls are left out rather than guessed.
import type { Node } from 'web-tree-sitter';
import type { TritonAutotuneConfig } from '../model';
import { resolve, type Bindings } from './imports';
import { collapse } from './syntax';

/** How deep `NAME` → `OTHER + [...]` chains are followed; also stops `A = B; B = A` cycles. */
const maxIndirections = 8;

/** Module-level `NAME = expr` (last one wins, as at import time). Assignments inside functions are not static. */
export function moduleAssignments(root: Node): Map<string, Node> {
  const assignments = new Map<string, Node>();
  for (const statement of root.namedChildren) {
    if (statement.type !== 'expression_statement') continue;
    const assignment = statement.namedChildren[0];
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (left?.type === 'identifier' && right) assignments.set(left.text, right);
  }
  return assignments;
}

/** Positional and keyword arguments of a call, comments dropped. */
function splitArguments(call: Node): { positional: Node[]; keywords: Map<string, Node> } {
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  for (const arg of call.childForFieldName('arguments')?.namedChildren ?? []) {
    if (arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      const name = arg.childForFieldName('name')?.text;
      const value = arg.childForFieldName('value');
      if (name && value) keywords.set(name, value);
    } else {
      positional.push(arg);
    }
  }
  return { positional, keywords };
}

/** A dict key as the meta-parameter's name: string keys lose their quotes, other keys stay as written. */
function keyText(key: Node): string {
  if (key.type === 'string') {
    const parts = key.namedChildren.filter((c) => c.type === 'string_content' || c.type === 'escape_sequence');
    const hasInterpolation = key.namedChildren.some((c) => c.type === 'interpolation');
    if (!hasInterpolation) return parts.map((c) => c.text).join('');
  }
  return collapse(key.text);
}

/** `{'BLOCK': 128}` or `dict(BLOCK=128)` → `{ BLOCK: '128' }`. */
function metaKwargs(node: Node | undefined): Record<string, string> {
  const kwargs: Record<string, string> = {};
  if (!node) return kwargs;
  if (node.type === 'dictionary') {
    for (const pair of node.namedChildren) {
      if (pair.type !== 'pair') continue;
      const key = pair.childForFieldName('key');
      const value = pair.childForFieldName('value');
      if (key && value) kwargs[keyText(key)] = collapse(value.text);
    }
  } else if (node.type === 'call' && node.childForFieldName('function')?.text === 'dict') {
    for (const [name, value] of splitArguments(node).keywords) kwargs[name] = collapse(value.text);
  }
  return kwargs;
}

function isConfigCall(node: Node, bindings: Bindings): boolean {
  if (node.type !== 'call') return false;
  const callee = node.childForFieldName('function');
  if (!callee || (callee.type !== 'identifier' && callee.type !== 'attribute')) return false;
  const path = resolve(callee.text, bindings);
  // `triton.Config`, or a bare/aliased `Config` whose origin the file does not show.
  return path === 'triton.Config' || path === 'triton.runtime.Config' || path.split('.').pop() === 'Config';
}

/** `triton.Config(kwargs, num_warps=None, num_stages=None, ...)`: the first three may also be passed positionally. */
export function parseConfig(call: Node): TritonAutotuneConfig {
  const { positional, keywords } = splitArguments(call);
  const numWarps = keywords.get('num_warps') ?? positional[1];
  const numStages = keywords.get('num_stages') ?? positional[2];
  return {
    kwargs: metaKwargs(keywords.get('kwargs') ?? positional[0]),
    ...(numWarps ? { numWarps: collapse(numWarps.text) } : {}),
    ...(numStages ? { numStages: collapse(numStages.text) } : {}),
    text: collapse(call.text),
  };
}

/** Follows a configs expression through literals, concatenation and module-level names. */
function configsFrom(node: Node, bindings: Bindings, assignments: Map<string, Node>, depth: number): TritonAutotuneConfig[] {
  if (depth > maxIndirections) return [];
  switch (node.type) {
    case 'list':
    case 'tuple':
      return node.namedChildren.flatMap((element) =>
        isConfigCall(element, bindings) ? [parseConfig(element)] : element.type === 'list_splat' ? configsFrom(element.namedChildren[0] ?? element, bindings, assignments, depth + 1) : [],
      );
    case 'parenthesized_expression':
      return node.namedChildren[0] ? configsFrom(node.namedChildren[0], bindings, assignments, depth + 1) : [];
    case 'binary_operator': {
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (node.childForFieldName('operator')?.text !== '+' || !left || !right) return [];
      return [...configsFrom(left, bindings, assignments, depth + 1), ...configsFrom(right, bindings, assignments, depth + 1)];
    }
    case 'identifier': {
      const value = assignments.get(node.text);
      return value ? configsFrom(value, bindings, assignments, depth + 1) : [];
    }
    default:
      return [];
  }
}

/** The configs expression of one `@triton.autotune(...)` decorator call (first positional argument or `configs=`). */
export function configsArgument(call: Node): Node | undefined {
  const { positional, keywords } = splitArguments(call);
  return keywords.get('configs') ?? positional[0];
}

/** The configs of one `@triton.autotune(...)` decorator call, as far as they can be read statically. */
export function autotuneConfigs(call: Node, bindings: Bindings, assignments: Map<string, Node>): TritonAutotuneConfig[] {
  const configs = configsArgument(call);
  return configs ? configsFrom(configs, bindings, assignments, 0) : [];
}
