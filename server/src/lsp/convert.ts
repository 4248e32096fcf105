import { DocumentSymbol, SymbolKind, type Range as LspRange } from 'vscode-languageserver';
import type { Kernel, Position, Range } from '../kernels/model';

// The engine's Range already has LSP's shape (zero-based lines, UTF-16 columns); these converters keep the
// dependency one-way and the place to adapt if either side changes.

export function toLspRange(range: Range): LspRange {
  return { start: { ...range.start }, end: { ...range.end } };
}

export function contains(range: Range, position: Position): boolean {
  const afterStart = position.line > range.start.line || (position.line === range.start.line && position.character >= range.start.character);
  const beforeEnd = position.line < range.end.line || (position.line === range.end.line && position.character <= range.end.character);
  return afterStart && beforeEnd;
}

export function kernelSymbol(kernel: Kernel): DocumentSymbol {
  const kind = kernel.language === 'kernelbench' ? SymbolKind.Class : SymbolKind.Function;
  return DocumentSymbol.create(kernel.qualifiedName, `${kernel.language} kernel · ${kernel.signature}`, kind, toLspRange(kernel.range), toLspRange(kernel.nameRange));
}
