import { Edit, type Parser, type Tree } from 'web-tree-sitter';
import { CudaExtractionCache, extractKernels } from './extract';
import { grammarFor, unreadableReason } from './language';
import { editorPositionOf, indexLines, offsetAt, remapRanges, treePoint, type LineIndex } from './lines';
import type { DocumentKernels, Range } from './model';
import { createParser, type GrammarName } from './parsers';
import { parseInSlices } from './slices';

/** One edit as editors send them: replace `range` (absent: the whole text) with `text`. */
export interface TextChange {
  range?: Range;
  text: string;
}

const empty: DocumentKernels = { kernels: [], problems: [] };
const atStart: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * An open document: its text (always the editor's, changes apply synchronously), its tree-sitter tree kept up to
 * date with the edit API (each change re-parses only what it touched), and its kernels cached per version so
 * editor requests never re-parse. The tree catches up in the background, in slices, so a large file never holds
 * the server for seconds; `settled()` says when it has.
 */
export class KernelDocument {
  private text: string;
  private lines: LineIndex;
  private grammar: GrammarName | undefined;
  private parser: Parser | undefined;
  private tree: Tree | undefined;
  /** The text the tree was parsed from; `pendingEdits` lead from it towards `text`. */
  private parsedText: string | undefined;
  private pendingEdits: Edit[] = [];
  /** A whole-text change (or a new grammar) since the tree: the next parse starts from nothing. */
  private needsFullParse = true;
  private skipReason: string | undefined;
  private catchingUp: Promise<void> | undefined;
  private disposed = false;
  private cached: { version: number; result: DocumentKernels } | undefined;
  private readonly pieces = new CudaExtractionCache();

  private constructor(
    readonly file: string,
    private readonly languageId: string | undefined,
    text: string,
    public version: number,
  ) {
    this.text = text;
    this.lines = indexLines(text);
  }

  /** Opens at once; the first parse runs in the background (await `settled()` for kernels of this text). */
  static create(file: string, text: string, version: number, languageId?: string): KernelDocument {
    const document = new KernelDocument(file, languageId, text, version);
    void document.catchUp();
    return document;
  }

  static async open(file: string, text: string, version: number, languageId?: string): Promise<KernelDocument> {
    const document = KernelDocument.create(file, text, version, languageId);
    await document.settled();
    return document;
  }

  get content(): string {
    return this.text;
  }

  /** Resolves when the tree (and so `kernels()`) reflects the current text. Never rejects. */
  settled(): Promise<void> {
    return this.catchingUp ?? Promise.resolve();
  }

  /** Applies editor changes in order, synchronously; the tree follows in the background. */
  applyChanges(changes: readonly TextChange[], version: number): void {
    this.version = version;
    this.cached = undefined;
    for (const change of changes) {
      if (!change.range) {
        this.text = change.text;
        this.lines = indexLines(this.text);
        this.needsFullParse = true;
        this.pendingEdits = [];
        continue;
      }
      let start = offsetAt(this.text, this.lines, change.range.start);
      let end = offsetAt(this.text, this.lines, change.range.end);
      if (start > end) [start, end] = [end, start]; // as editors read a reversed range
      const before = { text: this.text, lines: this.lines };
      this.text = this.text.slice(0, start) + change.text + this.text.slice(end);
      this.lines = indexLines(this.text);
      if (!this.needsFullParse) {
        this.pendingEdits.push(
          new Edit({
            startIndex: start,
            oldEndIndex: end,
            newEndIndex: start + change.text.length,
            startPosition: treePoint(before.text, before.lines, start),
            oldEndPosition: treePoint(before.text, before.lines, end),
            newEndPosition: treePoint(this.text, this.lines, start + change.text.length),
          }),
        );
      }
    }
    void this.catchUp();
  }

  /** One loop at a time brings the tree to the newest text; changes that arrive meanwhile make it go round again. */
  private catchUp(): Promise<void> {
    this.catchingUp ??= this.parseUntilCurrent().finally(() => {
      this.catchingUp = undefined;
      if (this.disposed) this.free();
    });
    return this.catchingUp;
  }

  private async parseUntilCurrent(): Promise<void> {
    while (!this.disposed && (this.parsedText !== this.text || this.pendingEdits.length > 0 || this.needsFullParse)) {
      try {
        await this.parseOnce();
      } catch (error) {
        // A grammar that fails to load, or a parser fault: this version has no kernels, and says why.
        this.dropTree();
        this.skipReason = `could not be parsed (${error instanceof Error ? error.message : String(error)})`;
        this.parsedText = this.text;
        this.needsFullParse = false;
        this.pendingEdits = [];
      }
    }
  }

  /** One step towards the current text. The text is read after every wait, so edits made meanwhile are never lost. */
  private async parseOnce(): Promise<void> {
    const { grammar, skipReason } = this.readingOf(this.text);
    this.skipReason = skipReason;
    if (grammar !== this.grammar || (grammar && !this.parser)) {
      this.dropTree();
      this.parser?.delete();
      this.parser = undefined;
      this.grammar = grammar;
      if (grammar) {
        const parser = await createParser(grammar);
        if (this.disposed) return parser.delete();
        this.parser = parser;
      }
      this.needsFullParse = true;
    }
    if (!this.parser) {
      this.dropTree();
      this.parsedText = this.text;
      this.needsFullParse = false;
      this.pendingEdits = [];
      return;
    }
    // From here to the parse nothing waits: the edits and the text are one consistent snapshot.
    const text = this.text;
    if (this.readingOf(text).grammar !== grammar) return; // an edit while the grammar loaded changed it: go round again
    if (this.needsFullParse) this.dropTree();
    for (const edit of this.pendingEdits) this.tree?.edit(edit);
    this.pendingEdits = [];
    this.needsFullParse = false;
    const old = this.tree;
    // A newer whole-text change makes this parse moot: stop it between slices rather than finish it.
    const next = await parseInSlices(this.parser, text, old, () => this.disposed || this.needsFullParse);
    if (!next) return;
    if (this.disposed) return next.delete();
    old?.delete();
    this.tree = next;
    this.parsedText = text;
    this.cached = undefined;
  }

  /** Which grammar reads a text, or why none does. */
  private readingOf(text: string): { grammar: GrammarName | undefined; skipReason: string | undefined } {
    const skipReason = unreadableReason(text);
    return { grammar: skipReason ? undefined : grammarFor(this.file, text, this.languageId), skipReason };
  }

  private dropTree(): void {
    this.tree?.delete();
    this.tree = undefined;
  }

  /** The kernels of the text the tree last caught up with (the current text once `settled()`), computed once per version. */
  kernels(): DocumentKernels {
    if (this.cached?.version === this.version) return this.cached.result;
    let result = empty;
    if (this.skipReason) result = { kernels: [], problems: [{ message: this.skipReason, range: atStart }] };
    else if (this.tree && this.grammar && this.parsedText !== undefined) {
      result = extractKernels(this.tree, this.grammar, this.file, this.pieces);
      if (this.lines.loneCr && this.parsedText === this.text) result = remapRanges(result, editorPositionOf(this.text, this.lines));
    }
    if (this.parsedText === this.text && this.pendingEdits.length === 0) this.cached = { version: this.version, result };
    return result;
  }

  /** Frees the tree and parser (wasm memory); a parse in progress stops at its next slice and frees them then. */
  dispose(): void {
    this.disposed = true;
    this.cached = undefined;
    if (!this.catchingUp) this.free();
  }

  private free(): void {
    this.dropTree();
    this.parser?.delete();
    this.parser = undefined;
  }
}
