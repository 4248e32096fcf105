// Small readings of tree-sitter's C++ declarations that several checks share.

import type { Node } from 'web-tree-sitter';

/** The function declarator of a definition or declaration (under pointer/reference return types), if any. */
export function functionDeclarator(node: Node | null | undefined): Node | null {
  let d = node?.type === 'function_definition' ? node.childForFieldName('declarator') : node;
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  return d ?? null;
}

/** The innermost declarator: the declared name (possibly qualified). */
export function declaredName(node: Node | null | undefined): Node | null {
  let d = node;
  while (d && d.childForFieldName('declarator')) d = d.childForFieldName('declarator');
  return d ?? null;
}

/** The node's tokens, comments left out, joined by spaces: two nodes with the same tokens are the same code. */
export function tokensOf(node: Node): string {
  const out: string[] = [];
  const walk = (n: Node) => {
    if (n.type === 'comment') return;
    if (n.childCount === 0) out.push(n.text);
    for (const c of n.children) if (c) walk(c);
  };
  walk(node);
  return out.join(' ');
}

const classTypes = new Set(['struct_specifier', 'class_specifier', 'union_specifier', 'enum_specifier']);

/**
 * What an item defines, as `kind:name` (functions with their parameter tokens, so overloads differ); undefined for
 * what defines nothing (a prototype, an extern declaration, a static_assert…). Two definitions of one identity
 * in one scope cannot both be compiled.
 */
export function definitionIdentity(node: Node): string | undefined {
  if (node.type === 'template_declaration') {
    const inner = node.namedChildren.find((c) => c && c.id !== node.childForFieldName('parameters')?.id);
    return inner ? definitionIdentity(inner) : undefined;
  }
  if (node.type === 'linkage_specification') {
    const body = node.childForFieldName('body'); // a block form's declarations are items of their own (itemsOf)
    return body && body.type !== 'declaration_list' ? definitionIdentity(body) : undefined;
  }
  if (node.type === 'function_definition') {
    const fn = functionDeclarator(node);
    return fn ? `fn:${fn.childForFieldName('declarator')?.text.replace(/\s+/g, '')}${tokensOf(fn.childForFieldName('parameters') ?? fn)}` : undefined;
  }
  if (node.type === 'declaration') {
    const first = node.childForFieldName('declarator');
    if (!first || functionDeclarator(first) || node.children.some((c) => c?.type === 'storage_class_specifier' && c.text === 'extern')) return undefined;
    return `var:${declaredName(first)?.text}`;
  }
  if (classTypes.has(node.type)) return node.childForFieldName('body') ? `type:${node.childForFieldName('name')?.text}` : undefined;
  if (node.type === 'alias_declaration' || node.type === 'type_definition') return `type:${(node.childForFieldName('name') ?? node.childForFieldName('declarator'))?.text}`;
  return undefined;
}
