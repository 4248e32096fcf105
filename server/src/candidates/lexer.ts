// C/C++ preprocessing tokens, for expanding a candidate's macros (macros.ts) the way the compiler will. Not a
// parser: tree-sitter reads the structure; this only splits text into the tokens macro expansion works on.
// Spellings the grammar would read differently from the compiler (digraphs, universal character names, trigraphs,
// a backslash-newline splice in code) are reported, so the structural check never looks at other code than nvcc.

export type TokenKind = 'identifier' | 'number' | 'string' | 'char' | 'punct' | 'newline' | 'directive' | 'other';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Zero-based line of the token's first character. */
  line: number;
}

/** A spelling the structural check cannot trust, with where it is. */
export interface LexProblem {
  line: number;
  construct: string;
  message: string;
}

const PUNCT3 = ['<<=', '>>=', '...', '->*', '<=>'];
const PUNCT2 = ['##', '::', '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '.*'];
const DIGRAPHS = ['<%', '%>', '<:', ':>', '%:'];
const TRIGRAPH_ENDS = '=/\'()!<>-';

const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$' || c > '\u007f';
const isIdentChar = (c: string) => isIdentStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string) => c >= '0' && c <= '9';

/** Prefixes of string and character literals: `u8"…"`, `L'x'`, `R"d(…)d"`, `u8R"…"`. */
function literalPrefix(text: string, at: number): { length: number; raw: boolean; quote: string } | undefined {
  for (const p of ['u8R', 'uR', 'UR', 'LR', 'R', 'u8', 'u', 'U', 'L']) {
    if (text.startsWith(p, at) && (text[at + p.length] === '"' || (text[at + p.length] === "'" && !p.endsWith('R')))) {
      return { length: p.length, raw: p.endsWith('R'), quote: text[at + p.length] };
    }
  }
  return undefined;
}

export class Lexer {
  readonly problems: LexProblem[] = [];
  private pos = 0;
  private line = 0;
  private atLineStart = true;
  /** Line breaks inside comments and splices, given back as newline tokens so that lines keep their numbers. */
  private pendingNewlines = 0;

  /** `inDirective`: the text is a directive's body, where backslash-newline splices are ordinary. */
  constructor(
    private readonly text: string,
    private readonly options: { firstLine?: number; inDirective?: boolean } = {},
  ) {
    this.line = options.firstLine ?? 0;
  }

  /** Every token; whitespace and comments are dropped, newlines kept, each whole directive line is one token. */
  tokens(): Token[] {
    const out: Token[] = [];
    for (let t = this.next(); t; t = this.next()) out.push(t);
    return out;
  }

  private problem(construct: string, message: string): void {
    this.problems.push({ line: this.line, construct, message });
  }

  private next(): Token | undefined {
    const text = this.text;
    for (;;) {
      if (this.pendingNewlines > 0) {
        this.pendingNewlines--;
        return { kind: 'newline', text: '\n', line: this.line - this.pendingNewlines - 1 };
      }
      if (this.pos >= text.length) return undefined;
      const c = text[this.pos];
      if (c === '\n') {
        this.pos++;
        const token: Token = { kind: 'newline', text: '\n', line: this.line++ };
        this.atLineStart = true;
        return token;
      }
      if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        this.pos++;
        continue;
      }
      if (c === '\\' && (text[this.pos + 1] === '\n' || (text[this.pos + 1] === '\r' && text[this.pos + 2] === '\n'))) {
        // Outside a directive a splice can join two halves of a name that tree-sitter reads as two tokens.
        if (!this.options.inDirective) this.problem('line splice', 'a backslash at the end of a line outside a preprocessor directive (it joins lines before anything else reads them): remove it');
        this.pos += text[this.pos + 1] === '\r' ? 3 : 2;
        this.line++;
        if (!this.options.inDirective) this.pendingNewlines++;
        continue;
      }
      if (text.startsWith('//', this.pos)) {
        this.skipLineComment();
        continue;
      }
      if (text.startsWith('/*', this.pos)) {
        this.skipBlockComment();
        continue;
      }
      if (c === '#' && this.atLineStart && !this.options.inDirective) return this.directive();
      this.atLineStart = false;
      return this.token();
    }
  }

  private skipLineComment(): void {
    const text = this.text;
    while (this.pos < text.length && text[this.pos] !== '\n') {
      // A comment ending in a backslash continues on the next line for the compiler.
      if (text[this.pos] === '\\' && text[this.pos + 1] === '\n') {
        this.problem('line splice', 'a // comment ending in a backslash (the compiler continues the comment on the next line): remove the backslash');
        this.pos += 2;
        this.line++;
        this.pendingNewlines++;
        continue;
      }
      this.pos++;
    }
  }

  /** Skips a comment; its line breaks come back as newline tokens unless it sits inside a directive's text. */
  private skipBlockComment(keepLines = true): void {
    const end = this.text.indexOf('*/', this.pos + 2);
    const stop = end < 0 ? this.text.length : end + 2;
    for (let i = this.pos; i < stop; i++) {
      if (this.text[i] !== '\n') continue;
      this.line++;
      if (keepLines && !this.options.inDirective) this.pendingNewlines++;
    }
    this.pos = stop;
  }

  /** A whole directive line, continuation lines included (kept verbatim: macros.ts copies it as it is). */
  private directive(): Token {
    const start = this.pos;
    const line = this.line;
    const text = this.text;
    while (this.pos < text.length && text[this.pos] !== '\n') {
      if (text[this.pos] === '\\' && text[this.pos + 1] === '\n') {
        this.pos += 2;
        this.line++;
      } else if (text.startsWith('/*', this.pos)) {
        this.skipBlockComment(false);
      } else {
        this.pos++;
      }
    }
    return { kind: 'directive', text: text.slice(start, this.pos), line };
  }

  private token(): Token {
    const text = this.text;
    const start = this.pos;
    const line = this.line;
    const c = text[this.pos];
    const prefix = literalPrefix(text, this.pos);
    if (prefix) {
      this.pos += prefix.length;
      if (prefix.raw) this.rawString();
      else this.quoted(prefix.quote);
      return { kind: prefix.quote === '"' ? 'string' : 'char', text: text.slice(start, this.pos), line };
    }
    if (c === '"' || c === "'") {
      this.quoted(c);
      return { kind: c === '"' ? 'string' : 'char', text: text.slice(start, this.pos), line };
    }
    if (c === '\\' && (text[this.pos + 1] === 'u' || text[this.pos + 1] === 'U')) {
      this.problem('universal character name', 'a \\u/\\U escape outside a string spells an identifier character the structural check cannot read: write the name in plain characters');
    }
    if (isIdentStart(c) || (c === '\\' && (text[this.pos + 1] === 'u' || text[this.pos + 1] === 'U'))) {
      this.pos++;
      while (this.pos < text.length && (isIdentChar(text[this.pos]) || (text[this.pos] === '\\' && (text[this.pos + 1] === 'u' || text[this.pos + 1] === 'U')))) this.pos++;
      return { kind: 'identifier', text: text.slice(start, this.pos), line };
    }
    if (isDigit(c) || (c === '.' && isDigit(text[this.pos + 1] ?? ''))) {
      // pp-number: digits, letters, dots, digit separators and signed exponents.
      this.pos++;
      while (this.pos < text.length) {
        const d = text[this.pos];
        if ((d === '+' || d === '-') && 'eEpP'.includes(text[this.pos - 1])) this.pos++;
        else if (isIdentChar(d) || d === '.' || (d === "'" && isIdentChar(text[this.pos + 1] ?? ''))) this.pos++;
        else break;
      }
      return { kind: 'number', text: text.slice(start, this.pos), line };
    }
    if (c === '?' && text[this.pos + 1] === '?' && TRIGRAPH_ENDS.includes(text[this.pos + 2] ?? '')) {
      this.problem('trigraph', `the trigraph '${text.slice(this.pos, this.pos + 3)}' (some compiler modes read it as another character): write the character itself`);
    }
    for (const p of [...PUNCT3, ...PUNCT2, ...DIGRAPHS]) {
      if (text.startsWith(p, this.pos)) {
        if (DIGRAPHS.includes(p)) this.problem('digraph', `the digraph '${p}' (an alternative spelling of a bracket or of '#'): write the character itself`);
        this.pos += p.length;
        return { kind: 'punct', text: p, line };
      }
    }
    this.pos++;
    return { kind: isIdentChar(c) || '{}[]()<>;:,.?!~+-*/%^&|=#'.includes(c) ? 'punct' : 'other', text: c, line };
  }

  private quoted(quote: string): void {
    const text = this.text;
    this.pos++;
    while (this.pos < text.length && text[this.pos] !== quote && text[this.pos] !== '\n') {
      if (text[this.pos] === '\\') {
        if (text[this.pos + 1] === '\n') this.line++;
        this.pos++;
      }
      this.pos++;
    }
    if (text[this.pos] === quote) this.pos++;
  }

  private rawString(): void {
    const text = this.text;
    const open = text.indexOf('(', this.pos);
    const delimiter = open < 0 ? '' : text.slice(this.pos + 1, open);
    const close = open < 0 ? -1 : text.indexOf(`)${delimiter}"`, open);
    const end = close < 0 ? text.length : close + delimiter.length + 2;
    for (let i = this.pos; i < end; i++) if (text[i] === '\n') this.line++;
    this.pos = end;
  }
}
