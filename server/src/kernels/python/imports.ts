// Resolves names used in decorators and annotations to the module paths they were imported from, so
// `@jit` counts as Triton only after `from triton import jit` (numba and jax have a `jit` too) and
// `import triton as tr; @tr.jit` still counts.
import type { Node } from 'web-tree-sitter';

/** Local name → dotted path it is bound to, e.g. `tl` → `triton.language`, `jit` → `triton.jit`. */
export type Bindings = Map<string, string>;

/** Conventional aliases assumed when a file never imports them (snippets, half-written files). */
const conventions: Record<string, string> = { tl: 'triton.language' };

function dotted(node: Node | null): string {
  return node ? node.text.replace(/\s+/g, '') : '';
}

/** Collects every import in the file, wherever it is (imports inside `try:`/`if` blocks are common for optional deps). */
export function collectBindings(root: Node): Bindings {
  const bindings: Bindings = new Map();
  for (const statement of root.descendantsOfType(['import_statement', 'import_from_statement'])) {
    if (!statement) continue;
    const moduleName = statement.type === 'import_from_statement' ? dotted(statement.childForFieldName('module_name')) : '';
    for (const item of statement.childrenForFieldName('name')) {
      if (!item) continue;
      if (item.type === 'aliased_import') {
        const path = dotted(item.childForFieldName('name'));
        const alias = dotted(item.childForFieldName('alias'));
        bindings.set(alias, moduleName ? `${moduleName}.${path}` : path);
      } else if (moduleName) {
        const path = dotted(item);
        bindings.set(path, `${moduleName}.${path}`);
      } else {
        // `import triton.language` binds only the top-level name `triton`.
        const top = dotted(item).split('.')[0];
        bindings.set(top, top);
      }
    }
  }
  return bindings;
}

/** `tr.jit` → `triton.jit` under `import triton as tr`; unbound names resolve to themselves (or a convention). */
export function resolve(expressionText: string, bindings: Bindings): string {
  const text = expressionText.replace(/\s+/g, '');
  const [head, ...rest] = text.split('.');
  const base = bindings.get(head) ?? conventions[head] ?? head;
  return [base, ...rest].join('.');
}
