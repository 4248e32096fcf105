// Editor positions in a document's text, by the LSP rules: `\r\n`, `\n` and a lone `\r` each end a line, and a
// position past a line's end (or past the last line) means that end. Editors apply changes by these rules, so the
// server must too, or its text drifts from theirs. tree-sitter counts rows by `\n` alone; `treePoint` converts.
import type { DocumentKernels, Kernel, KernelParam, Position, Range } from './model';

export interface LineIndex {
  /** Offset where each line starts. */
  starts: number[];
  /** A `\r` not followed by `\n` ends a line for the editor but not for tree-sitter. */
  loneCr: boolean;
}

export function indexLines(text: string): LineIndex {
  const starts = [0];
  let loneCr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      else loneCr = true;
      starts.push(i + 1);
    }
  }
  return { starts, loneCr };
}

function isLineBreak(code: number): boolean {
  return code === 10 || code === 13;
}

/** The offset of an editor position, clamped to the line's end and the text's bounds. */
export function offsetAt(text: string, index: LineIndex, position: Position): number {
  const { starts } = index;
  if (position.line >= starts.length) return text.length;
  if (position.line < 0) return 0;
  const lineStart = starts[position.line];
  if (position.character <= 0) return lineStart;
  const nextStart = position.line + 1 < starts.length ? starts[position.line + 1] : text.length;
  let offset = Math.min(lineStart + position.character, nextStart);
  while (offset > lineStart && isLineBreak(text.charCodeAt(offset - 1))) offset--;
  return offset;
}

/** The editor position of an offset. */
export function positionAt(index: LineIndex, offset: number): Position {
  const { starts } = index;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low, character: offset - starts[low] };
}

/** tree-sitter's point (row by `\n`, column in UTF-16 units) of an offset. */
export function treePoint(text: string, index: LineIndex, offset: number): { row: number; column: number } {
  if (!index.loneCr) {
    const { line, character } = positionAt(index, offset);
    // With no lone `\r`, editor lines and tree-sitter rows start at the same offsets.
    return { row: line, column: character };
  }
  let row = 0;
  let rowStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    rowStart = i + 1;
  }
  return { row, column: offset - rowStart };
}

/** Maps tree-sitter points to editor positions in a text with lone `\r`s (elsewhere they are the same). */
export function editorPositionOf(text: string, index: LineIndex): (point: Position) => Position {
  const rowStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) rowStarts.push(i + 1);
  return (point) => positionAt(index, (rowStarts[point.line] ?? text.length) + point.character);
}

/** Every range of a discovery result through `map`, for texts where tree-sitter rows are not editor lines. */
export function remapRanges(result: DocumentKernels, map: (p: Position) => Position): DocumentKernels {
  const range = (r: Range): Range => ({ start: map(r.start), end: map(r.end) });
  const param = (p: KernelParam): KernelParam => ({ ...p, range: range(p.range) });
  const kernel = (k: Kernel): Kernel => ({
    ...k,
    range: range(k.range),
    nameRange: range(k.nameRange),
    params: k.params.map(param),
    launchSites: k.launchSites.map((s) => ({ ...s, range: range(s.range) })),
    ...(k.kernelbench
      ? {
          kernelbench: {
            ...(k.kernelbench.getInputs ? { getInputs: range(k.kernelbench.getInputs) } : {}),
            ...(k.kernelbench.getInitInputs ? { getInitInputs: range(k.kernelbench.getInitInputs) } : {}),
            initParams: k.kernelbench.initParams.map(param),
          },
        }
      : {}),
  });
  return { kernels: result.kernels.map(kernel), problems: result.problems.map((p) => ({ ...p, range: range(p.range) })) };
}
