import type { Node } from 'web-tree-sitter';

// tree-sitter parses every preprocessor branch; the compiler sees only live ones. We treat a branch as dead
// only when its condition is a literal false (`#if 0`, `#if false`), which is how people comment code out;
// anything that depends on configuration stays live, since we cannot know the user's defines.

const conditionalTypes = new Set(['preproc_if', 'preproc_elif']);

function isLiteralFalse(condition: Node | null): boolean {
  if (!condition) return false;
  const text = condition.text.replace(/\s+/g, '');
  return text === '0' || text === 'false' || text === '(0)';
}

function isLiteralTrue(condition: Node | null): boolean {
  if (!condition) return false;
  const text = condition.text.replace(/\s+/g, '');
  return /^\(?[1-9]\d*\)?$/.test(text) || text === 'true';
}

/** True when `node` sits in a branch the compiler never sees. Walks the ancestors only: cheap per node. */
export function isCompiledOut(node: Node): boolean {
  let child = node;
  let parent = node.parent;
  while (parent) {
    if (conditionalTypes.has(parent.type)) {
      const condition = parent.childForFieldName('condition');
      const alternative = parent.childForFieldName('alternative');
      const inAlternative = alternative !== null && child.id === alternative.id;
      if (!inAlternative && child.id !== condition?.id) {
        if (isLiteralFalse(condition)) return true;
      } else if (inAlternative && isLiteralTrue(condition)) {
        return true;
      }
    }
    child = parent;
    parent = parent.parent;
  }
  return false;
}

/** Object-like and function-like macros whose expansion mentions `__global__`: `#define KERNEL __global__`. */
export function kernelMacros(definitions: readonly Node[]): Set<string> {
  const names = new Set<string>();
  for (const def of definitions) {
    const value = def.childForFieldName('value')?.text ?? '';
    const name = def.childForFieldName('name')?.text;
    if (name && /\b__global__\b/.test(value) && !isCompiledOut(def)) names.add(name);
  }
  // A macro that expands to another kernel macro is one too (`#define API KERNEL`).
  for (const def of definitions) {
    const value = def.childForFieldName('value')?.text ?? '';
    const name = def.childForFieldName('name')?.text;
    if (name && [...names].some((m) => new RegExp(`\\b${m}\\b`).test(value))) names.add(name);
  }
  return names;
}
