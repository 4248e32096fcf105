// A bench spec's `templateArgs` become C++ in the generated harness (`k<float, 256><<<…>>>`), so each must be a
// template argument and nothing more. A deny-list of characters let digraphs (`<%` is `{`) and a lone `\r` through;
// this is a grammar instead, and anything it does not derive is refused with the place it stopped:
//
//   arg      := constant | type
//   constant := '-'? number | 'true' | 'false' | 'nullptr'
//   type     := cv* (builtin+ | name) cv* ptr*
//   name     := '::'? segment ('::' segment)*            (a type, an enumerator or a constexpr: the same syntax)
//   segment  := identifier ('<' (arg (',' arg)*)? '>')?
//   ptr      := '*' cv* | '&' | '&&'
//   number   := decimal, hex (0x), binary (0b) or floating literal, digit separators ('), suffixes u l ll f
//
// Tokens are separated by spaces or tabs only.

export class TemplateArgError extends Error {
  constructor(
    readonly text: string,
    reason: string,
  ) {
    super(`template argument ${JSON.stringify(text)} is not a C++ type or constant: ${reason}`);
    this.name = 'TemplateArgError';
  }
}

const BUILTIN = new Set(['unsigned', 'signed', 'short', 'long', 'int', 'char', 'float', 'double', 'bool', 'void', 'wchar_t', 'char8_t', 'char16_t', 'char32_t']);
const CV = new Set(['const', 'volatile']);
/** Words that would start something other than a type or a constant. */
const RESERVED = new Set(['sizeof', 'alignof', 'decltype', 'typeid', 'new', 'delete', 'operator', 'template', 'typename', 'class', 'struct', 'union', 'enum', 'asm', '__asm__', 'static_assert', 'throw', 'this', 'auto', 'register', 'static', 'extern', 'inline', 'using', 'namespace', 'return', 'noexcept']);
const MAX_DEPTH = 16;

type Token = { kind: 'ident' | 'number' | 'punct'; text: string; column: number };

const TOKEN = /[ \t]+|(?<ident>[A-Za-z_][A-Za-z0-9_]*)|(?<number>(0[xX][0-9a-fA-F']+|0[bB][01']+|(\d[\d']*(\.\d*)?|\.\d+)([eE][+-]?\d+)?)[uUlLfF]{0,3})|(?<punct>::|&&|[<>,*&-])/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      const ch = text[at];
      throw new TemplateArgError(text, `${JSON.stringify(ch)} (U+${ch.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}) at column ${at + 1} is not part of a type or constant`);
    }
    const g = m.groups ?? {};
    if (g.ident) tokens.push({ kind: 'ident', text: g.ident, column: at + 1 });
    else if (g.number) tokens.push({ kind: 'number', text: g.number, column: at + 1 });
    else if (g.punct) tokens.push({ kind: 'punct', text: g.punct, column: at + 1 });
  }
  return tokens;
}

/** Checks `text` against the grammar; returns it trimmed, or throws TemplateArgError saying where it stopped. */
export function checkTemplateArg(text: string): string {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    const t = peek();
    throw new TemplateArgError(text, t ? `expected ${what} at column ${t.column}, found '${t.text}'` : `expected ${what} at the end`);
  };
  const eat = (punct: string) => (peek()?.kind === 'punct' && peek().text === punct ? (i++, true) : false);
  const word = (set: Set<string>) => (peek()?.kind === 'ident' && set.has(peek().text) ? (i++, true) : false);

  const segment = (depth: number) => {
    const t = peek();
    if (t?.kind !== 'ident' || RESERVED.has(t.text) || BUILTIN.has(t.text) || CV.has(t.text)) fail('a name');
    i++;
    if (eat('<')) {
      if (depth >= MAX_DEPTH) throw new TemplateArgError(text, `template arguments nested deeper than ${MAX_DEPTH}`);
      if (!eat('>')) {
        do arg(depth + 1);
        while (eat(','));
        if (!eat('>')) fail("'>' or ','");
      }
    }
  };
  const name = (depth: number) => {
    eat('::');
    segment(depth);
    while (eat('::')) segment(depth);
  };
  const type = (depth: number) => {
    while (word(CV));
    if (word(BUILTIN)) while (word(BUILTIN));
    else name(depth);
    while (word(CV));
    for (;;) {
      if (eat('*')) while (word(CV));
      else if (!eat('&') && !eat('&&')) break;
    }
  };
  const arg = (depth: number) => {
    const t = peek();
    if (!t) return fail('a type or constant');
    if (t.kind === 'number' || (t.kind === 'punct' && t.text === '-')) {
      eat('-');
      if (peek()?.kind !== 'number') fail('a number');
      i++;
    } else if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false' || t.text === 'nullptr')) i++;
    else type(depth);
  };

  arg(0);
  if (i < tokens.length) fail('the end of the argument');
  return text.trim();
}
