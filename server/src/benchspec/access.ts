// How a kernel body uses a pointer parameter: read, written, both, or handed on somewhere we cannot follow.
//
// Inference only has the kernel's text, not a type-checked AST, so this is a lexical scan: comments and literals
// are blanked, then each use of the name is classified by what surrounds it (`p[i] = …` writes, `p[i] += …` and
// `atomicAdd(&p[i], …)` read and write, anything else reads). Uses we cannot classify (passed to a function,
// pointer arithmetic kept in an expression) are reported as escapes so the caller can say what it assumed.

export interface PointerUse {
  reads: boolean;
  writes: boolean;
  /** Read-modify-write through an atomic. */
  atomic: boolean;
  /** Short descriptions of uses the scan could not follow, e.g. `passed to helper()`. */
  escapes: string[];
  /** Index expressions of every write (`0` for `*p` or `atomicAdd(p, …)`), whitespace removed. */
  writeIndices: string[];
  /** Index expressions of every element access, read or write (`?` through an alias), whitespace removed. */
  indices: string[];
  /** Any use at all. */
  used: boolean;
}

/** Replaces comments, string and character literals by spaces, keeping every offset. */
export function blankCommentsAndLiterals(text: string): string {
  return text.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\/|#[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** The body between the outermost braces, blanked; the signature is skipped so parameters are not "uses". */
export function kernelBody(source: string): { text: string; offset: number } {
  const blank = blankCommentsAndLiterals(source);
  let depth = 0;
  for (let i = 0; i < blank.length; i++) {
    const c = blank[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '{' && depth === 0) return { text: blank.slice(i), offset: i };
  }
  // Python (Triton): the body starts after the `def …:` line.
  const def = /\bdef\s+\w+\s*\([\s\S]*?\)\s*(->[^:]*)?:/.exec(blank);
  if (def) return { text: blank.slice(def.index + def[0].length), offset: def.index + def[0].length };
  return { text: blank, offset: 0 };
}

const open: Record<string, string> = { '[': ']', '(': ')', '{': '}' };

/** Index just past the bracket that closes the one at `start`, or -1. */
function matchBracket(text: string, start: number): number {
  const stack: string[] = [];
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c in open) stack.push(open[c]);
    else if (c === ']' || c === ')' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

function skipSpaces(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

const compound = /^(\+=|-=|\*=|\/=|%=|&=|\|=|\^=|<<=|>>=|\+\+|--)/;

/** What follows an element access: a plain write, a read-modify-write, or a read. */
function accessAfter(text: string, end: number): 'write' | 'readwrite' | 'read' {
  let i = skipSpaces(text, end);
  // Members of a vector or struct element: `p[i].x = …`.
  for (let member = /^(\.|->)\s*\w+/.exec(text.slice(i)); member; member = /^(\.|->)\s*\w+/.exec(text.slice(i))) {
    i = skipSpaces(text, i + member[0].length);
  }
  const rest = text.slice(i, i + 3);
  if (compound.test(rest)) return 'readwrite';
  if (rest[0] === '=' && rest[1] !== '=') return 'write';
  return 'read';
}

const aliasTail = /(\w+)\s*=\s*(?:\(\s*[\w:<>\s]+\*+\s*\)\s*|(?:reinterpret_cast|static_cast)\s*<[^<>]*>\s*\(\s*)?&?\s*$/;
const constPointee = /(?:\bconst\s+[\w:<>]+|[\w:<>]+\s+const)\s*\*+\s*(?:__restrict__\s+|__restrict\s+)?$|\bconst\s+auto\b[\s*]*$/;

/** `T* row = p + r * n;`, `auto q = &p[i];`, `ptrs = x_ptr + offs` (Python): the name now standing for p. */
function aliasOf(before: string): { name: string; readOnly: boolean } | undefined {
  const tail = aliasTail.exec(before);
  if (!tail) return undefined;
  const declaration = before.slice(0, tail.index);
  // `x == p` is a comparison, and `a[i] = p` stores a pointer value: neither creates a name for p.
  if (/[=!<>\]]\s*$/.test(declaration)) return undefined;
  return { name: tail[1], readOnly: constPointee.test(declaration) };
}

/** Classifies every use of `name` in `body` (already blanked). Aliases (`T* row = p + r * n;`) are followed twice deep. */
export function analyzePointer(body: string, name: string, depth = 0): PointerUse {
  const use: PointerUse = { reads: false, writes: false, atomic: false, escapes: [], writeIndices: [], indices: [], used: false };
  const pattern = new RegExp(`(?<![\\w.]|->|::)${name.replace(/[$]/g, '\\$')}(?!\\w)`, 'g');
  const followAlias = (alias: { name: string; readOnly: boolean }, from: number): void => {
    const sub = analyzePointer(body.slice(from), alias.name, depth + 1);
    use.reads ||= sub.reads;
    use.writes ||= sub.writes && !alias.readOnly;
    use.atomic ||= sub.atomic;
    // Indices through an alias are relative to its offset; record only that a write happened.
    if (sub.writes && !alias.readOnly) use.writeIndices.push(...sub.writeIndices.map(() => '?'));
    use.indices.push(...sub.indices.map(() => '?'));
    use.escapes.push(...sub.escapes);
  };
  for (let match = pattern.exec(body); match; match = pattern.exec(body)) {
    const at = match.index;
    const before = body.slice(Math.max(0, at - 200), at);
    let end = at + name.length;
    // A declaration of another variable with the same name (`float p = …` in an inner scope) is not a use.
    if (/\b(?:float|double|int|half|auto|char|bool|unsigned|long|short)\b[\s*&]*$/.test(before) && /^\s*[,)=;]/.test(body.slice(end))) continue;
    use.used = true;

    // `reinterpret_cast<float4*>(p)[i]` and `((float4*)p)[i]`: the cast result is what gets indexed.
    if (/(?:reinterpret_cast|static_cast)\s*<[^<>]*>\s*\(\s*$|\(\s*\(\s*(?:const\s+)?[\w:]+\s*\*+\s*\)\s*$/.test(before)) {
      const close = /^\s*\)/.exec(body.slice(end));
      if (close) end += close[0].length;
    }
    const indexStart = skipSpaces(body, end);
    const addressOf = /(?:^|[^&\w)\]\s])\s*&\s*$/.test(before);
    const atomicCall = /\batomic\w*\s*\(\s*&?\s*$/.test(before);
    const loadCall = /\b(?:__ld\w*|tl\s*\.\s*load)\s*\(\s*&?\s*$/.test(before);
    const storeCall = /\b(?:__st\w*|tl\s*\.\s*store)\s*\(\s*&?\s*$/.test(before);
    const alias = depth < 2 ? aliasOf(before) : undefined;

    if (body[indexStart] === '[') {
      const close = matchBracket(body, indexStart);
      if (close < 0) continue;
      const index = body.slice(indexStart + 1, close - 1).replace(/\s+/g, '');
      use.indices.push(index);
      if (atomicCall) markAtomic(use, index);
      else if (loadCall) use.reads = true;
      else if (storeCall) markWrite(use, index);
      else if (addressOf && alias) followAlias(alias, at);
      else if (addressOf) use.escapes.push(`its address &${name}[…] is taken`);
      else {
        const kind = /(\+\+|--)\s*$/.test(before) ? 'readwrite' : accessAfter(body, close);
        if (kind !== 'write') use.reads = true;
        if (kind !== 'read') markWrite(use, index);
      }
      continue;
    }
    if (atomicCall) {
      // `atomicAdd(p, v)` or `atomicAdd(p + i, v)`.
      const offset = /^\s*\+\s*([^,]+)/.exec(body.slice(end));
      markAtomic(use, offset ? offset[1].replace(/\s+/g, '') : '0');
      continue;
    }
    if (loadCall) {
      use.reads = true;
      continue;
    }
    if (storeCall) {
      markWrite(use, '?');
      continue;
    }
    // `*p = v`, `*p += v`, `return *p;`.
    if (/(?:^|[=(,;{}\s])\*\s*$/.test(before)) {
      const kind = accessAfter(body, end);
      if (kind !== 'write') use.reads = true;
      if (kind !== 'read') markWrite(use, '0');
      continue;
    }
    // `*(p + i) = v`.
    const derefGroup = /\*\s*\(\s*$/.exec(before);
    if (derefGroup) {
      const close = matchBracket(body, at - derefGroup[0].length + derefGroup[0].indexOf('('));
      if (close > 0) {
        const inner = body.slice(end, close - 1).replace(/^\s*\+\s*/, '').replace(/\s+/g, '');
        const kind = accessAfter(body, close);
        if (kind !== 'write') use.reads = true;
        if (kind !== 'read') markWrite(use, inner || '0');
        continue;
      }
    }
    if (alias) {
      followAlias(alias, at);
      continue;
    }
    const call = /\b(\w+)\s*\((?:[^()]*,)?\s*$/.exec(before);
    if (call && !['if', 'while', 'for', 'return', 'switch', 'sizeof'].includes(call[1])) {
      use.escapes.push(`passed to ${call[1]}()`);
      continue;
    }
    if (/^\s*(?:==|!=)/.test(body.slice(end)) || /(?:==|!=)\s*$/.test(before)) continue;
    use.escapes.push(`used as a pointer value (\`${body.slice(at, end + 20).split(/[;\n]/)[0].trim()}\`)`);
  }
  return use;
}

function markWrite(use: PointerUse, index: string): void {
  use.writes = true;
  use.writeIndices.push(index);
}

function markAtomic(use: PointerUse, index: string): void {
  use.atomic = true;
  use.reads = true;
  markWrite(use, index);
}
