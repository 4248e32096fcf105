import type { Node } from 'web-tree-sitter';
import type { Range } from './model';

/** web-tree-sitter over a JS string counts columns in UTF-16 units, as LSP does. */
export function rangeOf(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}
