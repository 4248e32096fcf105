import { Edit, type Parser, type Tree } from 'web-tree-sitter';
import { CudaExtractionCache, extractKernels } from './extract';
import { grammarFor, unreadableReason } from './language';
import type { DocumentKernels, Position, Range } from './model';
import { createParser, type GrammarName } from './parsers';

/** One edit as editors send them: replace `range` (absent: the whole text) with `text`. */
export interface TextChange {
  range?: Range;
  text: string;
}

const empty: DocumentKernels = { kernels: [], problems: [] };

/** Offsets of line starts, for turning editor positions into string indices. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function endPoint(start: Position, inserted: string): { row: number; column: number } {
  const lines = inserted.split('\n');
  const last = lines[lines.length - 1];
  return lines.length === 1 ? { row: start.line, column: start.character + last.length } : { row: start.line + lines.length - 1, column: last.length };
}

/**
 * An open document: its text, its tree-sitter tree kept up to date with the edit API (each change re-parses only
 * what it touched), and its kernels cached per version so editor requests never re-parse.
 */
export class KernelDocument {
  private starts: number[];
  private cached: { version: number; result: DocumentKernels } | undefined;
  private readonly pieces = new CudaExtractionCache();

  private constructor(
    readonly file: string,
    private readonly languageId: string | undefined,
    private grammar: GrammarName | undefined,
    private parser: Parser | undefined,
    private tree: Tree | undefined,
    private text: string,
    public version: number,
    private skipReason: string | undefined,
  ) {
    this.starts = lineStarts(text);
  }

  static async open(file: string, text: string, version: number, languageId?: string): Promise<KernelDocument> {
    const document = new KernelDocument(file, languageId, undefined, undefined, undefined, text, version, undefined);
    await document.reset(text);
    return document;
  }

  get content(): string {
    return this.text;
  }

  /** Whole-document parse: on open, and when a change switches grammar (a .cpp gaining its first `__global__`). */
  private async reset(text: string): Promise<void> {
    this.text = text;
    this.starts = lineStarts(text);
    this.tree?.delete();
    this.tree = undefined;
    this.skipReason = unreadableReason(text);
    const grammar = this.skipReason ? undefined : grammarFor(this.file, text, this.languageId);
    if (grammar !== this.grammar) {
      this.parser?.delete();
      this.parser = grammar ? await createParser(grammar) : undefined;
      this.grammar = grammar;
    }
    this.tree = this.parser?.parse(text) ?? undefined;
    this.cached = undefined;
  }

  private offsetAt(position: Position): number {
    const lineStart = this.starts[Math.min(position.line, this.starts.length - 1)] ?? 0;
    if (position.line >= this.starts.length) return this.text.length;
    return Math.min(lineStart + position.character, this.text.length);
  }

  /** Applies editor changes in order. Synchronous in the common case; returns a promise only when a full reset is needed. */
  applyChanges(changes: readonly TextChange[], version: number): Promise<void> | void {
    this.version = version;
    this.cached = undefined;
    let needsReset = false;
    for (const change of changes) {
      if (!change.range) {
        this.text = change.text;
        this.starts = lineStarts(this.text);
        needsReset = true;
        continue;
      }
      const startIndex = this.offsetAt(change.range.start);
      const oldEndIndex = this.offsetAt(change.range.end);
      this.text = this.text.slice(0, startIndex) + change.text + this.text.slice(oldEndIndex);
      this.starts = lineStarts(this.text);
      if (!needsReset && this.tree) {
        this.tree.edit(
          new Edit({
            startIndex,
            oldEndIndex,
            newEndIndex: startIndex + change.text.length,
            startPosition: { row: change.range.start.line, column: change.range.start.character },
            oldEndPosition: { row: change.range.end.line, column: change.range.end.character },
            newEndPosition: endPoint(change.range.start, change.text),
          }),
        );
      }
    }
    const grammar = unreadableReason(this.text) ? undefined : grammarFor(this.file, this.text, this.languageId);
    if (needsReset || grammar !== this.grammar || unreadableReason(this.text) !== this.skipReason) return this.reset(this.text);
    if (this.parser && this.tree) {
      const next = this.parser.parse(this.text, this.tree);
      this.tree.delete();
      this.tree = next ?? undefined;
    }
  }

  /** The kernels of the current version, computed at most once per version. */
  kernels(): DocumentKernels {
    if (this.cached?.version === this.version) return this.cached.result;
    let result = empty;
    if (this.skipReason) result = { kernels: [], problems: [{ message: this.skipReason, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } }] };
    else if (this.tree && this.grammar) result = extractKernels(this.tree, this.grammar, this.file, this.pieces);
    this.cached = { version: this.version, result };
    return result;
  }

  dispose(): void {
    this.tree?.delete();
    this.parser?.delete();
    this.tree = undefined;
    this.parser = undefined;
  }
}
