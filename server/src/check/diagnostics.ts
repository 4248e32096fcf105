// Parses what nvcc and the tools it drives print on failure into located diagnostics.
// Formats (recorded from CUDA 13.0 + gcc 12 in test/fixtures/nvcc-errors/):
//   CUDA front end:   a.cu(12): error: identifier "x" is undefined          (1-based line, no column)
//                         <argument lines, indented>
//                       <source excerpt, 2-space indent, preprocessed text>
//                       <caret line: spaces then ^>                         (→ column)
//                               detected during instantiation of "…" at line 5
//                     a.cu(3): warning #177-D: …    a.cu(2): note #3326-D: …   (notes attach to the message before)
//   host preprocessor (gcc): a.cu:12:5: error: …   (1-based *display* column: tabs count to the next multiple of 8)
//   ptxas:            ptxas error   : Entry function '_Z3bigPf' uses too much shared data …   (no location)
//                     ptxas /tmp/x.ptx, line 28; error   : …                                   (a PTX line, not a source line)
//   driver:           nvcc fatal   : Unsupported gpu architecture 'sm_70';  cc1plus: fatal error: …

import { isAbsolute, resolve } from 'node:path';
import type { CompilerDiagnostic, RelatedLocation, Severity } from './types';

export interface ParseDiagnosticsOptions {
  /** Where messages without a location go (the checked file as the user knows it). */
  mainFile: string;
  /** Relative paths in messages are relative to the compiler's working directory. */
  cwd?: string;
  /** A 0-based source line, to turn carets and display columns into exact UTF-16 columns. */
  sourceLine?: (file: string, line: number) => string | undefined;
}

const FRONTEND = /^(.+?)\((\d+)\): (catastrophic error|internal error|error|warning|remark|note)(?: #([\w-]+))?: (.*)$/;
const GCC = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/;
/** `cc1plus: fatal error: …`, `gcc: error: …`: a program name and no location. */
const PROGRAM = /^([\w.+-]+): (fatal error|error|warning): (.*)$/;
const PTXAS_PTX_LINE = /^ptxas (.+?), line (\d+); (error|warning|fatal)\s*: (.*)$/;
const TOOL = /^(ptxas|nvcc|nvlink|fatbinary) (error|warning|fatal)\s*: (.*)$/;
const CARET = /^\s*\^\s*$/;
/** The front end indents its source excerpts by two spaces. */
const EXCERPT_INDENT = 2;

export function parseCompilerOutput(text: string, options: ParseDiagnosticsOptions): CompilerDiagnostic[] {
  const lines = text.split(/\r?\n/);
  const out: CompilerDiagnostic[] = [];
  const locate = (file: string) => (options.cwd && !isAbsolute(file) ? resolve(options.cwd, file) : file);
  /** The last error/warning, which a following note belongs to. */
  let owner: CompilerDiagnostic | undefined;
  const emit = (d: CompilerDiagnostic) => {
    if (d.severity === 'info' && owner && d.source === owner.source) {
      (owner.related ??= []).push({ file: d.file, line: d.line, column: d.column, message: d.message });
      return;
    }
    out.push(d);
    owner = d;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m: RegExpExecArray | null;

    if ((m = FRONTEND.exec(line))) {
      // The block: indented lines up to a blank line or the next message.
      const block: string[] = [];
      while (i + 1 < lines.length && lines[i + 1].trim() !== '' && /^\s/.test(lines[i + 1])) block.push(lines[++i]);
      const file = locate(m[1]);
      const lineNo = Number(m[2]) - 1;
      const caret = block.findIndex((l) => CARET.test(l));
      const argumentLines: string[] = [];
      const related: RelatedLocation[] = [];
      block.forEach((l, k) => {
        if (k === caret || k === caret - 1) return;
        const trimmed = l.trim();
        argumentLines.push(trimmed);
        // `detected during instantiation of "…" at line 5 [of "file"]`: where the template was used.
        const at = /at line (\d+)(?: of "([^"]+)")?$/.exec(trimmed);
        if (at) related.push({ file: at[2] ? locate(at[2]) : file, line: Number(at[1]) - 1, message: trimmed });
      });
      let column: number | undefined;
      if (caret > 0) {
        const excerpt = block[caret - 1].slice(EXCERPT_INDENT);
        const caretCol = Math.max(0, block[caret].indexOf('^') - EXCERPT_INDENT);
        const original = options.sourceLine?.(file, lineNo);
        column = (original !== undefined ? mapExcerptColumn(excerpt, caretCol, original) : undefined) ?? caretCol;
      }
      const d: CompilerDiagnostic = {
        file,
        line: lineNo,
        severity: severityOf(m[3]),
        message: [m[5], ...argumentLines].join('\n'),
        source: 'nvcc',
      };
      if (column !== undefined) d.column = column;
      if (m[4]) d.code = m[4];
      if (related.length > 0) d.related = related;
      emit(d);
      continue;
    }

    if ((m = PTXAS_PTX_LINE.exec(line))) {
      emit(withSymbol({ file: options.mainFile, line: 0, severity: severityOf(m[3]), message: `${m[4]} (PTX line ${m[2]})`, source: 'ptxas' }));
      continue;
    }

    if ((m = TOOL.exec(line))) {
      // `source` names the tool, so the message drops its "ptxas error   :" prefix.
      const source = m[1] === 'ptxas' ? 'ptxas' : 'nvcc';
      // "Ptx assembly aborted due to errors" only repeats that errors came before it.
      if (m[2] === 'fatal' && /aborted due to errors/i.test(m[3]) && out.some((d) => d.source === 'ptxas' && d.severity === 'error')) continue;
      emit(withSymbol({ file: options.mainFile, line: 0, severity: severityOf(m[2]), message: m[3], source }));
      continue;
    }

    if ((m = GCC.exec(line))) {
      const file = locate(m[1]);
      const lineNo = Number(m[2]) - 1;
      let message = m[5];
      let code: string | undefined;
      const flag = / \[(-W[\w=+-]+)\]$/.exec(message);
      if (flag) {
        code = flag[1];
        message = message.slice(0, flag.index);
      }
      const d: CompilerDiagnostic = { file, line: lineNo, severity: severityOf(m[4]), message, source: 'gcc' };
      if (m[3]) {
        const original = options.sourceLine?.(file, lineNo);
        d.column = original !== undefined ? displayColumnToIndex(original, Number(m[3])) : Number(m[3]) - 1;
      }
      if (code) d.code = code;
      emit(d);
      continue;
    }

    if ((m = PROGRAM.exec(line))) {
      emit({ file: options.mainFile, line: 0, severity: severityOf(m[2]), message: `${m[1]}: ${m[3]}`, source: 'gcc' });
      continue;
    }
    // Everything else is context the located messages already carry: gcc's excerpts (` 12 | …`),
    // "In file included from", "compilation terminated.", "N errors detected in the compilation of …",
    // the "Remark: The warnings can be suppressed" footer, and ptxas's info lines.
  }
  return out;
}

function severityOf(word: string): Severity {
  if (word === 'warning') return 'warning';
  if (word === 'note' || word === 'remark') return 'info';
  return 'error';
}

/** ptxas names the entry it means in quotes; keep it so an editor can put the message on that kernel. */
function withSymbol(d: CompilerDiagnostic): CompilerDiagnostic {
  const m = /'(_Z\w+)'/.exec(d.message) ?? /(?:Entry function|function) '([A-Za-z_]\w*)'/.exec(d.message);
  if (m) d.symbol = m[1];
  return d;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * The front end's excerpt is not the source line: it is preprocessed (`__device__` reads
 * `__attribute__((device))`) and whitespace runs are squeezed. Map the caret's column onto the
 * original line: first by walking both lines in step with whitespace runs treated as equal, and if
 * the texts differ, by finding the same occurrence of the token under the caret.
 */
export function mapExcerptColumn(excerpt: string, caretCol: number, original: string): number | undefined {
  return alignByWhitespace(excerpt, caretCol, original) ?? alignByToken(excerpt, caretCol, original);
}

function alignByWhitespace(excerpt: string, col: number, original: string): number | undefined {
  let i = 0;
  let j = 0;
  while (i < excerpt.length || j < original.length) {
    if (isSpace(excerpt[i]) || isSpace(original[j])) {
      const from = i;
      while (isSpace(excerpt[i])) i++;
      while (isSpace(original[j])) j++;
      // A caret on whitespace points at what follows it.
      if (col >= from && col < i) return j;
      continue;
    }
    if (i === col) return j;
    if (i >= excerpt.length || j >= original.length || excerpt[i] !== original[j]) return undefined;
    i++;
    j++;
  }
  return col === i ? j : undefined;
}

function alignByToken(excerpt: string, col: number, original: string): number | undefined {
  const word = /^\w+/.exec(excerpt.slice(col));
  const token = word ? word[0] : excerpt[col];
  if (!token || isSpace(token)) return undefined;
  const occurrences = (s: string) => {
    const found: number[] = [];
    for (let k = s.indexOf(token); k !== -1; k = s.indexOf(token, k + 1)) {
      // A word token must not be part of a longer identifier.
      if (word && (/\w/.test(s[k - 1] ?? '') || /\w/.test(s[k + token.length] ?? ''))) continue;
      found.push(k);
    }
    return found;
  };
  const nth = occurrences(excerpt).indexOf(col);
  const inOriginal = occurrences(original);
  if (nth < 0 || inOriginal.length === 0) return undefined;
  return inOriginal[Math.min(nth, inOriginal.length - 1)];
}

/** gcc's columns count display cells (a tab advances to the next multiple of 8); LSP wants UTF-16 units. */
export function displayColumnToIndex(line: string, displayColumn: number, tabStop = 8): number {
  let cells = 1;
  let index = 0;
  for (const ch of line) {
    if (cells >= displayColumn) return index;
    cells = ch === '\t' ? Math.floor((cells - 1) / tabStop + 1) * tabStop + 1 : cells + 1;
    index += ch.length;
  }
  return index;
}
