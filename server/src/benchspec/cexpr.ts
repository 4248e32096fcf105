// Translating the C++ a launch site was written in (`dim3 grid((n + 255) / 256)`) into spec expressions over
// size variables. The host code names things its own way: the caller's `n` reaches the kernel's parameter `N`,
// `threads` is a local set to 256 three lines up, `BLOCK` is a #define. We follow exactly those three links —
// arguments passed straight through, simple local initialisers before the launch, object-like macros and
// constants — and give up (with the reason) on anything else, rather than guess.

import { blankCommentsAndLiterals } from './access';
import { dtypeOfCType, ELEMENT_BYTES, vectorTypeOf } from './defaults';
import { evaluate, type ExprNode, formatExpr, parseExpr, substitute, tryParseExpr, variablesOf } from './expr';

export interface HostContext {
  /** The whole source file, for locals and macros; without it only direct arguments resolve. */
  fileText?: string;
  /** The caller's identifier → the kernel's size variable it is passed as. */
  passed: ReadonlyMap<string, string>;
  /** Template parameter name → C type, for `sizeof(T)`. */
  typeArgs?: ReadonlyMap<string, string>;
}

export type Translation = { ok: true; expr: string; notes: string[] } | { ok: false; reason: string };

/** Element size for `sizeof(type)`, through template arguments and vector types. */
function sizeofType(type: string, ctx: HostContext): number | undefined {
  const resolved = ctx.typeArgs?.get(type.trim()) ?? type;
  const scalar = dtypeOfCType(resolved);
  if (scalar) return ELEMENT_BYTES[scalar];
  const vector = vectorTypeOf(resolved);
  return vector ? ELEMENT_BYTES[vector.dtype] * (vector.lanes === 3 ? 3 : vector.lanes) : undefined;
}

const ceilDivNames = /\b(?:(?:std::)?ceil_?div|div_?up|div_?round_?up|ceildiv|cdiv|i_?div_?up|div_?ceil|CEIL_DIV|DIV_UP|CDIV|DIVUP|CEILDIV|triton\.cdiv)\s*\(/gi;

/** Rewrites C spellings into the spec language: casts, literal suffixes, std::min, ceil-div helpers, sizeof. */
export function normalizeCText(text: string, ctx: HostContext): { text: string } | { reason: string } {
  let out = blankCommentsAndLiterals(text).trim();
  let failure: string | undefined;
  out = out.replace(/\bsizeof\s*\(\s*([^()]+?)\s*\)/g, (whole, type: string) => {
    const size = sizeofType(type, ctx);
    if (size === undefined) failure ??= `cannot tell the size of \`${whole}\``;
    return String(size ?? 0);
  });
  if (failure) return { reason: failure };
  out = out
    .replace(/\b(\d+)(?:ull|llu|ul|lu|ll|u|l)\b/gi, '$1')
    .replace(/\b((?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)[fF]\b/g, '$1')
    .replace(/\bstatic_cast\s*<\s*(?:const\s+)?(?:(?:unsigned|signed)\s+)?(?:int|long\s+long|long|short|size_t|std::size_t|int32_t|int64_t|uint32_t|uint64_t|unsigned|index_t)\s*>\s*\(/g, '(')
    .replace(/\(\s*(?:const\s+)?(?:(?:unsigned|signed)\s+)?(?:int|long\s+long|long|short|size_t|std::size_t|int32_t|int64_t|uint32_t|uint64_t|unsigned|index_t)\s*\)/g, '')
    .replace(/\b(?:std::|::)?(min|max)\s*(?:<[^<>]*>)?\s*\(/g, '$1(')
    .replace(ceilDivNames, 'cdiv(');
  if (/\(\s*(?:float|double)\s*\)|\bstatic_cast\s*<\s*(?:float|double)/.test(out)) return { reason: 'it converts to floating point' };
  return { text: out };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

export function offsetAt(text: string, line: number, character: number): number {
  const starts = lineStarts(text);
  return Math.min(text.length, (starts[line] ?? text.length) + character);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** Reads from `start` to the first `;` (or top-level `,`) outside brackets. */
function initializerFrom(text: string, start: number): string | undefined {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return text.slice(start, i);
      depth--;
    } else if ((c === ';' || c === ',') && depth === 0) return text.slice(start, i);
  }
  return undefined;
}

/** Offset of the bracket closing the one at `open`, or -1. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if ('([{'.includes(text[i])) depth++;
    else if (')]}'.includes(text[i]) && --depth === 0) return i;
  }
  return -1;
}

/** Splits at top-level commas: `a, min(b, c)` → [`a`, `min(b, c)`]. */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ('([{<'.includes(c) && !(c === '<' && text[i + 1] === '<') && !(c === '<' && text[i - 1] === '<')) depth++;
    else if (')]}'.includes(c) || (c === '>' && depth > 0 && text[i + 1] !== '>' && text[i - 1] !== '>')) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p !== '');
}

const scalarDecl = '(?:(?:const|constexpr|static|unsigned|signed|long|short|int|size_t|std::size_t|auto|int32_t|int64_t|uint32_t|uint64_t|index_t|dim3)\\s+)+';

export interface Definition {
  /** The defining text (initialiser, macro body or dim3 arguments). */
  text: string;
  kind: 'local' | 'macro' | 'dim3';
  /** 1-based line in the file. */
  line: number;
  /** Offset of the definition, so its own names resolve against what precedes it. */
  offset: number;
}

/** The last definition of `name` before `limit`: a scalar local, a dim3 local, or an object-like #define. */
export function findDefinition(fileText: string, name: string, limit: number): Definition | undefined {
  let found: Definition | undefined;
  const macro = new RegExp(`^[ \\t]*#[ \\t]*define[ \\t]+${name}[ \\t]+([^\\n]*?)\\s*$`, 'gm');
  for (let m = macro.exec(fileText); m && m.index < limit; m = macro.exec(fileText)) {
    found = { text: blankCommentsAndLiterals(m[1]).trim(), kind: 'macro', line: lineOf(fileText, m.index), offset: m.index };
  }
  const blank = blankCommentsAndLiterals(fileText).slice(0, limit);
  const dim3 = new RegExp(`\\bdim3\\s+${name}\\s*(?:([({])|=\\s*(?:dim3\\s*)?([({]))`, 'g');
  for (let m = dim3.exec(blank); m; m = dim3.exec(blank)) {
    const openAt = m.index + m[0].length - 1;
    const close = closingBracket(blank, openAt);
    if (close > 0 && (!found || m.index > found.offset)) found = { text: blank.slice(openAt + 1, close), kind: 'dim3', line: lineOf(fileText, m.index), offset: m.index };
  }
  const local = new RegExp(`(?:^|[;{}(\\s])${scalarDecl}${name}\\s*=(?!=)`, 'g');
  for (let m = local.exec(blank); m; m = local.exec(blank)) {
    if (/\bdim3\b/.test(m[0])) continue;
    const value = initializerFrom(blank, m.index + m[0].length);
    if (value !== undefined && (!found || m.index > found.offset)) found = { text: value.trim(), kind: 'local', line: lineOf(fileText, m.index), offset: m.index };
  }
  return found;
}

/** `(x + b - 1) / b` and `(x + (b - 1)) / b` → `cdiv(x, b)`, so inferred launches read the way people think. */
export function recogniseCdiv(node: ExprNode): ExprNode {
  const same = (a: ExprNode, b: ExprNode): boolean => formatExpr(a) === formatExpr(b);
  const rewrite = (n: ExprNode): ExprNode => {
    if (n.kind === 'unary') return { ...n, operand: rewrite(n.operand) };
    if (n.kind === 'call') return { ...n, args: n.args.map(rewrite) };
    if (n.kind !== 'binary') return n;
    const left = rewrite(n.left);
    const right = rewrite(n.right);
    if (n.op === '/') {
      const divisor = right;
      // x + b - 1
      if (left.kind === 'binary' && left.op === '-' && left.right.kind === 'number' && left.right.value === 1 && left.left.kind === 'binary' && left.left.op === '+' && same(left.left.right, divisor)) {
        return { kind: 'call', fn: 'cdiv', args: [left.left.left, divisor], start: n.start, end: n.end };
      }
      // x + (b - 1), where b - 1 may already be folded into a literal: (n + 255) / 256
      if (left.kind === 'binary' && left.op === '+') {
        const addend = left.right;
        const folded = addend.kind === 'number' && divisor.kind === 'number' && addend.integer && divisor.integer && addend.value === divisor.value - 1;
        const spelled = addend.kind === 'binary' && addend.op === '-' && addend.right.kind === 'number' && addend.right.value === 1 && same(addend.left, divisor);
        if (folded || spelled) return { kind: 'call', fn: 'cdiv', args: [left.left, divisor], start: n.start, end: n.end };
      }
    }
    return { ...n, left, right };
  };
  return rewrite(node);
}

/**
 * Translates one C expression from host code near a launch into a spec expression over size variables.
 * `before` is the launch's offset in the file: locals are looked up above it.
 */
export function translateCExpr(text: string, ctx: HostContext, before: number, depth = 0): Translation {
  if (depth > 6) return { ok: false, reason: `definitions nest too deeply around \`${text}\`` };
  const normal = normalizeCText(text, ctx);
  if ('reason' in normal) return { ok: false, reason: normal.reason };
  const parsed = tryParseExpr(normal.text);
  if ('error' in parsed) return { ok: false, reason: `\`${text.trim()}\` is not a plain arithmetic expression (${parsed.error.reason})` };
  const notes: string[] = [];
  const replacements = new Map<string, ExprNode>();
  for (const name of variablesOf(parsed.node)) {
    const sizeVar = ctx.passed.get(name);
    if (sizeVar !== undefined) {
      replacements.set(name, { kind: 'variable', name: sizeVar, start: 0, end: 0 });
      continue;
    }
    const definition = ctx.fileText !== undefined ? findDefinition(ctx.fileText, name, before) : undefined;
    if (!definition || definition.kind === 'dim3') {
      return { ok: false, reason: `\`${name}\` is ${definition ? 'a dim3' : 'a host value'} the kernel does not receive as a size parameter` };
    }
    const inner = translateCExpr(definition.text, ctx, definition.offset, depth + 1);
    if (!inner.ok) return { ok: false, reason: `\`${name}\` (line ${definition.line}): ${inner.reason}` };
    notes.push(`${name} = ${definition.text.trim()} (line ${definition.line})`, ...inner.notes);
    replacements.set(name, parseExpr(inner.expr));
  }
  const resolved = recogniseCdiv(substitute(parsed.node, (name) => replacements.get(name)));
  return { ok: true, expr: formatExpr(resolved), notes };
}

/**
 * A launch dimension as components: `dim3(a, b)`, `{a, b}`, a dim3 local, or one scalar expression.
 * Trailing `1` components are dropped (`dim3(n / 256, 1, 1)` is one-dimensional).
 */
export function launchComponents(text: string, ctx: HostContext, before: number): { parts: string[]; offset: number; note?: string } {
  const trimmed = blankCommentsAndLiterals(text).trim();
  let parts: string[] = [trimmed];
  let offset = before;
  let note: string | undefined;
  const literal = /^(?:dim3\s*)?[({]([\s\S]*)[)}]$/.exec(trimmed);
  if (/^dim3\s*[({]/.test(trimmed) || /^\{/.test(trimmed)) {
    parts = splitTopLevel(literal ? literal[1] : trimmed);
  } else if (/^[A-Za-z_]\w*$/.test(trimmed) && ctx.fileText !== undefined && !ctx.passed.has(trimmed)) {
    const definition = findDefinition(ctx.fileText, trimmed, before);
    if (definition?.kind === 'dim3') {
      parts = splitTopLevel(definition.text);
      offset = definition.offset;
      note = `${trimmed} = dim3(${definition.text.trim()}) (line ${definition.line})`;
    }
  }
  while (parts.length > 1 && parts[parts.length - 1].trim() === '1') parts.pop();
  return { parts, offset, ...(note ? { note } : {}) };
}

/** The integer value of a host expression if it needs no size variable (`1 << 20`, `N` with `#define N 4096`). */
export function constantValue(text: string, ctx: HostContext, before: number): { value: number; notes: string[] } | undefined {
  const translated = translateCExpr(text, { ...ctx, passed: new Map() }, before);
  if (!translated.ok) return undefined;
  try {
    const value = evaluate(translated.expr, {});
    return Number.isSafeInteger(value) ? { value, notes: translated.notes } : undefined;
  } catch {
    return undefined;
  }
}
