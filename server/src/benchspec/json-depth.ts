// A bench spec is a handful of levels deep; parsing, schema checks and every walk over it recurse, so text nested
// thousands of levels deep (`[[[[…`) would overflow the stack. This scan finds such text first, without recursing.

export const MAX_JSON_DEPTH = 32;

/** Offset of the first `[` or `{` that opens level MAX_JSON_DEPTH + 1, outside strings and comments; else undefined. */
export function excessiveNestingAt(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

export const excessiveNestingMessage = `nested more than ${MAX_JSON_DEPTH} levels deep (a bench spec needs about 5): not read further`;
