// Error recovery for half-edited files. tree-sitter-python sometimes folds everything after a syntax error
// into one ERROR node (an unclosed `(` turns the rest of the file into a "type"), which would hide every
// kernel below the typo. When that happens we re-parse from the next top-level `def`/`class`/decorator line,
// so discovery degrades to "the broken region is skipped" instead of "the rest of the file is gone".
import { Parser, type Node, type Tree } from 'web-tree-sitter';

/** A tree to search, trusted for definitions that start in rows [fromRow, toRow). */
export interface Segment {
  root: Node;
  fromRow: number;
  toRow: number;
}

/** Re-parses are bounded so a file full of errors costs a few parses, not one per line. */
const maxReparses = 8;

/** A line that can only start a module-level statement that defines something. */
const restartLine = /^(@|(async\s+)?def\s|class\s)/;

/** The first row after `afterRow` where a fresh top-level definition could start, if any. */
function nextRestart(lines: string[], afterRow: number): number | undefined {
  for (let row = afterRow + 1; row < lines.length; row++) if (restartLine.test(lines[row])) return row;
  return undefined;
}

/** Nodes in the tree that mark a syntax error: ERROR nodes and tokens the parser had to invent. */
function firstErrorRow(root: Node): number | undefined {
  if (!root.hasError) return undefined;
  let row: number | undefined;
  const visit = (node: Node) => {
    if (row !== undefined) return;
    if (node.type === 'ERROR' || node.isMissing) {
      row = node.startPosition.row;
      return;
    }
    for (const child of node.children) if (child?.hasError || child?.isMissing) visit(child);
  };
  visit(root);
  return row;
}

/**
 * The original tree, followed by re-parses of the text from each restart point after an error. Lines before
 * a restart are replaced by empty lines so rows and columns in the re-parsed tree match the document.
 * Call `dispose` when done: re-parsed trees live in wasm memory.
 */
export function segmentsOf(root: Node): { segments: Segment[]; dispose: () => void } {
  const segments: Segment[] = [{ root, fromRow: 0, toRow: Number.MAX_SAFE_INTEGER }];
  // The common case (a file that parses) costs nothing beyond this check.
  if (!root.hasError) return { segments, dispose: () => undefined };
  const trees: Tree[] = [];
  let parser: Parser | undefined;
  const lines = root.text.split('\n');
  let current = root;
  for (let i = 0; i < maxReparses; i++) {
    const errorRow = firstErrorRow(current);
    const restart = errorRow === undefined ? undefined : nextRestart(lines, errorRow);
    if (restart === undefined) break;
    parser ??= new Parser().setLanguage(root.tree.language);
    const tree = parser.parse('\n'.repeat(restart) + lines.slice(restart).join('\n'));
    if (!tree) break;
    trees.push(tree);
    segments[segments.length - 1].toRow = restart;
    segments.push({ root: tree.rootNode, fromRow: restart, toRow: Number.MAX_SAFE_INTEGER });
    current = tree.rootNode;
  }
  return {
    segments,
    dispose: () => {
      for (const tree of trees) tree.delete();
      parser?.delete();
    },
  };
}

/** Whether a node starts inside the rows a segment is trusted for. */
export function inSegment(node: Node, segment: Segment): boolean {
  const row = node.startPosition.row;
  return row >= segment.fromRow && row < segment.toRow;
}
