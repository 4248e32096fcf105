// Attributes, read from the tokens of the macro-expanded candidate: `__attribute__((…))`, `[[…]]` and
// `__declspec(…)`. Tokens rather than the tree, because the grammar does not know every place an attribute may
// stand (`[[gnu::destructor]] __device__ …`, a trailing `__attribute__((section(…)))`): it then reports a syntax
// error, and the refusal should still name the attribute.

import { Lexer, type Token } from './lexer';
import type { Problem } from './problem';

/** Attributes a candidate may use: alignment, packing, inlining and hints; constructor, alias, section… are not. */
const ALLOWED = new Set(['aligned', 'packed', 'unused', 'maybe_unused', 'always_inline', 'noinline', 'nodiscard', 'likely', 'unlikely', 'fallthrough', 'deprecated', 'noreturn']);

/** The attribute names in the list that starts at `tokens[from]` (just inside the brackets), up to depth 0. */
function namesIn(tokens: Token[], from: number): { names: Token[]; end: number } {
  const names: Token[] = [];
  let depth = 0;
  let expectName = true;
  let i = from;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'newline') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      if (depth-- === 0) break;
    } else if (depth === 0 && t.text === ',') expectName = true;
    else if (depth === 0 && expectName && t.kind === 'identifier') {
      // `gnu::constructor`, `using gnu: constructor`: the last name of a scoped attribute counts.
      if (tokens[i + 1]?.text === '::' || t.text === 'using') continue;
      names.push(t);
      expectName = false;
    }
  }
  return { names, end: i };
}

export function attributeProblems(expanded: string): Problem[] {
  const tokens = new Lexer(expanded).tokens().filter((t) => t.kind !== 'directive');
  const problems: Problem[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    let list: { names: Token[]; end: number } | undefined;
    if (t.text === '__declspec') {
      problems.push({ line: t.line, construct: '__declspec', reason: '__declspec changes linkage or storage: refused' });
    } else if ((t.text === '__attribute__' || t.text === '__attribute') && tokens[i + 1]?.text === '(' && tokens[i + 2]?.text === '(') {
      list = namesIn(tokens, i + 3);
    } else if (t.text === '[' && tokens[i + 1]?.text === '[') {
      list = namesIn(tokens, i + 2);
    }
    if (!list) continue;
    for (const name of list.names) {
      const plain = name.text.replace(/^__(.*)__$/, '$1');
      if (!ALLOWED.has(plain)) problems.push({ line: name.line, construct: `attribute ${plain}`, reason: `only the attributes ${[...ALLOWED].join(', ')} may appear (others such as constructor, destructor, alias, section or weak change what runs or links)` });
    }
    i = list.end;
  }
  return problems;
}
