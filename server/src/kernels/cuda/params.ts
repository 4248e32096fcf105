import type { Node } from 'web-tree-sitter';
import type { KernelParam, TemplateParam } from '../model';
import { rangeOf } from '../ranges';

const declaratorTypes = new Set(['pointer_declarator', 'reference_declarator', 'array_declarator', 'abstract_pointer_declarator', 'abstract_reference_declarator', 'abstract_array_declarator', 'parenthesized_declarator']);

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Follows the declarator chain (`* const * __restrict__ p`) down to the name. */
function declaredName(declarator: Node | null): { name: Node | null; pointer: boolean } {
  let pointer = false;
  let node = declarator;
  while (node && declaratorTypes.has(node.type)) {
    if (node.type.includes('pointer') || node.type.includes('array')) pointer = true;
    node = node.childForFieldName('declarator') ?? node.namedChildren.find((c) => c.type === 'identifier' || declaratorTypes.has(c.type)) ?? null;
  }
  return { name: node && node.type === 'identifier' ? node : null, pointer };
}

export function parseParam(node: Node, index: number): KernelParam {
  const typeNode = node.childForFieldName('type');
  const declarator = node.childForFieldName('declarator');
  const { name, pointer } = declaredName(declarator);
  const text = node.text;
  const typeText = name ? text.slice(0, name.startIndex - node.startIndex) + text.slice(name.endIndex - node.startIndex) : text;
  // `const` before the declarator qualifies the pointee (`const float* p`, `float const* p`); a `const` inside the
  // pointer declarator (`float* const p`) only makes the pointer itself read-only.
  const pointeeConst = node.namedChildren.some((c) => c.type === 'type_qualifier' && c.text === 'const');
  const defaultValue = node.childForFieldName('default_value')?.text;
  return {
    name: name?.text ?? `arg${index}`,
    type: collapse(typeText.replace(/=.*$/s, '')),
    baseType: collapse(typeNode?.text ?? typeText),
    pointer,
    const: pointeeConst,
    restrict: /\b(__restrict__|__restrict|restrict)\b/.test(text),
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    range: rangeOf(node),
  };
}

/**
 * `const T* KP_RESTRICT in`: an unknown macro after the `*` reads to tree-sitter as the parameter's name, and the
 * real name lands in an ERROR node right after the declaration. The name is that identifier; the macro stays in
 * the type as written (and counts as restrict when its name says so).
 */
function withTrailingName(param: KernelParam, node: Node, name: Node): KernelParam {
  return {
    ...param,
    name: name.text,
    type: collapse(node.text),
    restrict: param.restrict || /restrict/i.test(node.text),
    range: { start: rangeOf(node).start, end: rangeOf(name).end },
  };
}

function trailingName(next: Node | null | undefined): Node | undefined {
  if (next?.type !== 'ERROR' || next.namedChildren.length !== 1) return undefined;
  const only = next.namedChildren[0];
  return only?.type === 'identifier' ? only : undefined;
}

export function parseParams(parameterList: Node | null): KernelParam[] {
  if (!parameterList) return [];
  const children = parameterList.children;
  const params: KernelParam[] = [];
  children.forEach((child, i) => {
    if (!child || (child.type !== 'parameter_declaration' && child.type !== 'optional_parameter_declaration')) return;
    const param = parseParam(child, params.length);
    const name = trailingName(children[i + 1]);
    params.push(name ? withTrailingName(param, child, name) : param);
  });
  return params;
}

export function parseTemplateParams(templateDeclaration: Node | null): TemplateParam[] {
  const list = templateDeclaration?.childForFieldName('parameters');
  if (!list) return [];
  return list.namedChildren.flatMap((p): TemplateParam[] => {
    const defaultValue = p.childForFieldName('default_type')?.text ?? p.childForFieldName('default_value')?.text;
    const withDefault = defaultValue !== undefined ? { default: defaultValue } : {};
    if (p.type === 'type_parameter_declaration' || p.type === 'optional_type_parameter_declaration' || p.type === 'variadic_type_parameter_declaration') {
      const name = p.childForFieldName('name') ?? p.namedChildren.find((c) => c.type === 'type_identifier');
      return [{ kind: p.text.trim().startsWith('class') ? 'class' : 'typename', name: name?.text ?? '', ...withDefault }];
    }
    if (p.type === 'parameter_declaration' || p.type === 'optional_parameter_declaration' || p.type === 'variadic_parameter_declaration') {
      const { name } = declaredName(p.childForFieldName('declarator'));
      return [{ kind: collapse(p.childForFieldName('type')?.text ?? ''), name: name?.text ?? '', ...withDefault }];
    }
    return [];
  });
}
