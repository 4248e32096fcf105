import { type Diagnostic, DiagnosticSeverity, DocumentSymbol, SymbolKind, type Range as LspRange } from 'vscode-languageserver';
import type { Kernel, Position, Range } from '../kernels/model';
import type { CompilerDiagnostic } from '../check/types';

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

const severity: Record<CompilerDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export function toDiagnostic(d: CompilerDiagnostic): Diagnostic {
  const character = d.column ?? 0;
  return {
    // Without a column the whole line is marked; with one, the token there (clients widen a one-character range).
    range: { start: { line: d.line, character }, end: d.column === undefined ? { line: d.line + 1, character: 0 } : { line: d.line, character: character + 1 } },
    severity: severity[d.severity],
    source: d.source,
    ...(d.code ? { code: d.code } : {}),
    message: d.message,
  };
}
