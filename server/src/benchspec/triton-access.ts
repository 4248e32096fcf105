// How a Triton kernel uses a parameter as a pointer. Triton pointers carry no type in the signature, so a
// parameter is a pointer by use: it is the base of what `tl.load`/`tl.store`/`tl.atomic_*` (or
// `tl.make_block_ptr`) receive, directly (`tl.load(x_ptr + offs)`) or through locals built from it
// (`row = x_ptr + pid * stride; tl.load(row + cols)`, `a_ptrs += BLOCK_K * stride_ak`). A "base" is a bare
// identifier among the top-level `+`/`-` terms of the pointer expression: strides and offsets are multiplied or
// subscripted, so they are not bases.


export interface TritonPointerUse {
  reads: boolean;
  writes: boolean;
  atomic: boolean;
}

const memoryCall = /\b(?:tl|triton\.language)\s*\.\s*(load|store|atomic_\w+|make_block_ptr)\s*\(/g;

/** The text inside the parentheses opening at `open` (exclusive), or undefined when unbalanced. */
function callArguments(text: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return text.slice(open + 1, i);
    }
  }
  return undefined;
}

/** Splits Python text at top-level occurrences of the `separators` characters (brackets nest; `<` is a comparison). */
function splitOutside(text: string, separators: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && separators.includes(c)) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** Splits Python text at top-level commas. */
export function splitPython(text: string): string[] {
  return splitOutside(text, ',').filter((p) => p !== '');
}

/** Bare identifiers among the top-level additive terms of an expression. */
function baseNames(expression: string): string[] {
  const names = splitOutside(expression, '+-').filter((t) => /^[A-Za-z_]\w*$/.test(t));
  // `(x_ptr + offs)` parenthesized as a whole is still a pointer expression.
  const whole = expression.trim();
  if (/^\(([\s\S]*)\)$/.test(whole) && splitPython(whole.slice(1, -1)).length === 1) names.push(...baseNames(whole.slice(1, -1)));
  return names;
}

/** The pointer argument of a memory call: the first positional one, or `pointer=`/`base=`. */
function pointerArgument(args: string): string | undefined {
  const parts = splitPython(args);
  const keyword = parts.map((p) => /^\s*(?:pointer|base)\s*=(?!=)([\s\S]*)$/.exec(p)).find((m) => m);
  if (keyword) return keyword[1];
  return parts.find((p) => !/^\s*[A-Za-z_]\w*\s*=(?!=)/.test(p));
}

/** Locals that hold a pointer derived from `name` (assignments and augmented assignments, to a fixpoint). */
function aliasesOf(body: string, name: string): Set<string> {
  const aliases = new Set([name]);
  const assignments = [...body.matchAll(/^[ \t]*([A-Za-z_]\w*)[ \t]*(\+=|-=|=)(?!=)[ \t]*([^\n]+)$/gm)];
  for (let changed = true; changed; ) {
    changed = false;
    for (const [, target, , value] of assignments) {
      if (aliases.has(target)) continue;
      const block = /make_block_ptr\s*\(/.exec(value);
      const derived = block ? pointerArgument(callArguments(value, block.index + block[0].length - 1) ?? '') : value;
      if (derived !== undefined && baseNames(derived).some((b) => aliases.has(b))) {
        aliases.add(target);
        changed = true;
      }
    }
  }
  return aliases;
}

/** How the kernel body (comments and strings blanked) uses `name` as a pointer; undefined when it never does. */
export function tritonPointerUse(body: string, name: string): TritonPointerUse | undefined {
  const aliases = aliasesOf(body, name);
  const use: TritonPointerUse = { reads: false, writes: false, atomic: false };
  let used = false;
  for (const match of body.matchAll(memoryCall)) {
    const args = callArguments(body, match.index + match[0].length - 1);
    const pointer = args !== undefined ? pointerArgument(args) : undefined;
    if (pointer === undefined || !baseNames(pointer).some((b) => aliases.has(b))) continue;
    used = true;
    const op = match[1];
    if (op === 'load') use.reads = true;
    else if (op === 'store') use.writes = true;
    else if (op.startsWith('atomic_')) {
      use.reads = true;
      use.writes = true;
      use.atomic = true;
    }
    // make_block_ptr: the block pointer is read or written later through tl.load/tl.store of its alias.
  }
  return used ? use : undefined;
}
