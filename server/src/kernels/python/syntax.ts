// Small, grammar-aware helpers over tree-sitter-python nodes shared by the Triton and KernelBench finders.
import type { Node } from 'web-tree-sitter';
import type { Kernel, KernelParam } from '../model';
import { rangeOf } from '../ranges';

/** Collapses runs of whitespace so multi-line source reads well in one-line signatures and attributes. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A definition as it appears in a block: the `def`/`class` node plus the decorators stacked on it. */
export interface Definition {
  /** `function_definition` or `class_definition`. */
  node: Node;
  /** The `decorated_definition` when decorated, else `node`: the span a kernel's range must cover. */
  outer: Node;
  decorators: Node[];
}

/** Unwraps `decorated_definition`; anything that is not a def/class yields undefined. */
export function asDefinition(statement: Node): Definition | undefined {
  if (statement.type === 'function_definition' || statement.type === 'class_definition') {
    return { node: statement, outer: statement, decorators: [] };
  }
  if (statement.type !== 'decorated_definition') return undefined;
  const node = statement.childForFieldName('definition');
  if (!node) return undefined;
  return { node, outer: statement, decorators: statement.namedChildren.filter((c) => c.type === 'decorator') };
}

/** The expression after `@` (the grammar wraps it in a `decorator` node together with the `@` token). */
export function decoratorExpression(decorator: Node): Node | undefined {
  return decorator.namedChildren.find((c) => c.type !== 'comment');
}

/** `@triton.autotune(configs=[...], key=[...])` → `@triton.autotune`: attributes name the decorator, not its arguments. */
export function shortDecorator(decorator: Node): string {
  const expression = decoratorExpression(decorator);
  if (!expression) return collapse(decorator.text);
  const callee = expression.type === 'call' ? expression.childForFieldName('function') : expression;
  return `@${collapse(callee?.text ?? expression.text).replace(/\s*\.\s*/g, '.')}`;
}

/** Node types whose children are statements that may hold definitions (so nested kernels are not missed). */
const statementContainers = new Set([
  'module',
  'block',
  'if_statement',
  'elif_clause',
  'else_clause',
  'try_statement',
  'except_clause',
  'except_group_clause',
  'finally_clause',
  'with_statement',
  'for_statement',
  'while_statement',
  'match_statement',
  'case_clause',
  // Error recovery can wrap otherwise intact definitions in ERROR nodes; looking inside keeps kernels after a typo.
  'ERROR',
]);

/** Python itself refuses code indented ~100 levels deep; past this many statement levels nothing is looked for. */
const MAX_STATEMENT_DEPTH = 100;

/**
 * Visits every def/class reachable through statements, with the enclosing class/function names as scope.
 * Only statement containers are entered: expressions cannot hold definitions, and strings and comments are
 * leaves in the tree, so text in them is never mistaken for code.
 */
export function walkDefinitions(node: Node, visit: (definition: Definition, scope: string[]) => void, scope: string[] = [], depth = 0): void {
  if (depth > MAX_STATEMENT_DEPTH) return;
  for (const child of node.namedChildren) {
    const definition = asDefinition(child);
    if (definition) {
      visit(definition, scope);
      const name = definition.node.childForFieldName('name')?.text;
      const body = definition.node.childForFieldName('body');
      if (body) walkDefinitions(body, visit, name ? [...scope, name] : scope, depth + 1);
    } else if (statementContainers.has(child.type)) {
      walkDefinitions(child, visit, scope, depth + 1);
    }
  }
}

/** The parameter's name node: an identifier, or a `*args` / `**kwargs` pattern. */
function paramNameNode(param: Node): Node | undefined {
  switch (param.type) {
    case 'identifier':
    case 'list_splat_pattern':
    case 'dictionary_splat_pattern':
      return param;
    case 'default_parameter':
    case 'typed_default_parameter':
      return param.childForFieldName('name') ?? undefined;
    case 'typed_parameter':
      // The grammar gives typed_parameter no `name` field: the name is the child that is not the type.
      return param.namedChildren.find((c) => c.type !== 'type' && c.type !== 'comment');
    default:
      return undefined;
  }
}

/**
 * Python parameters in the shared KernelParam shape. `*args` / `**kwargs` keep their stars in the name so a
 * signature built from them reads true; the bare `*` and `/` separators are not parameters and are skipped.
 * `isConstexpr` receives the annotation text (Triton marks compile-time parameters by annotation).
 */
export function pythonParams(parameters: Node | null, isConstexpr?: (annotation: string) => boolean): KernelParam[] {
  if (!parameters) return [];
  const result: KernelParam[] = [];
  for (const param of parameters.namedChildren) {
    const nameNode = paramNameNode(param);
    if (!nameNode) continue;
    const annotation = collapse(param.childForFieldName('type')?.text ?? '');
    const value = param.childForFieldName('value');
    result.push({
      name: collapse(nameNode.text),
      type: annotation,
      baseType: annotation,
      pointer: false,
      const: false,
      restrict: false,
      ...(isConstexpr ? { constexpr: annotation !== '' && isConstexpr(annotation) } : {}),
      ...(value ? { default: collapse(value.text) } : {}),
      range: rangeOf(param),
    });
  }
  return result;
}

/** ` -> T` when the function's return is annotated, else ''. */
export function returnAnnotation(fn: Node): string {
  const returns = fn.childForFieldName('return_type');
  return returns ? ` -> ${collapse(returns.text)}` : '';
}

/** `(a, b: int = 2) -> T` rebuilt without comments or line breaks. */
export function signatureTail(fn: Node): string {
  const parameters = fn.childForFieldName('parameters');
  const parts = (parameters?.namedChildren ?? []).filter((c) => c.type !== 'comment').map((c) => collapse(c.text));
  return `(${parts.join(', ')})${returnAnnotation(fn)}`;
}

/** Ids are `language:qualifiedName`, with `#2`, `#3`, … for later definitions of the same name (if/else variants, redefinitions). */
export function assignIds(kernels: Kernel[]): Kernel[] {
  const seen = new Map<string, number>();
  for (const kernel of kernels) {
    const base = `${kernel.language}:${kernel.qualifiedName}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    kernel.id = count === 1 ? base : `${base}#${count}`;
  }
  return kernels;
}
