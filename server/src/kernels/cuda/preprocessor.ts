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

/** Macros whose expansion mentions `__global__` (`#define KERNEL __global__`), and macros that expand to those. */
export function kernelMacros(definitions: readonly { name: string; value: string }[]): Set<string> {
  const names = new Set(definitions.filter((d) => /\b__global__\b/.test(d.value)).map((d) => d.name));
  for (const d of definitions) if ([...names].some((m) => new RegExp(`\\b${m}\\b`).test(d.value))) names.add(d.name);
  return names;
}
