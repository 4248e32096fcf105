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

/**
 * Re-parses are bounded so a file full of errors costs a few parses, not one per line: at most this many, and at
 * most this much text in all (tree-sitter-python's error recovery can manage as little as 200 KB/s, and this runs
 * synchronously while a request waits: a 200 KB file with an error every few kernels took 15 s).
 */
const maxReparses = 8;
const maxReparsedChars = 256 * 1024;

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
  let budget = maxReparsedChars;
  for (let i = 0; i < maxReparses; i++) {
    const errorRow = firstErrorRow(current);
    const restart = errorRow === undefined ? undefined : nextRestart(lines, errorRow);
    if (restart === undefined) break;
    const rest = lines.slice(restart).join('\n');
    budget -= rest.length;
    if (budget < 0) break; // past the budget the rest of the file stays as the first tree read it
    parser ??= new Parser().setLanguage(root.tree.language);
    const tree = parser.parse('\n'.repeat(restart) + rest);
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
