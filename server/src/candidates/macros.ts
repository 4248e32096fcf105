// Expands the macros a candidate can see (its own, and the user's file's before the kernel) the way the C
// preprocessor does, so the structural check reads the code the compiler will compile: a macro that expands to
// `int main() {…}` or closes a function's brace is found like the same code written out. Header macros are not
// expanded (the grammar knows CUDA's qualifiers; other header macros at namespace scope are refused as unknown).
// Lines are kept: every output line holds what the input line expanded to, so problems name the candidate's lines.

import { Lexer, type LexProblem, type Token } from './lexer';

export interface MacroDefinition {
  name: string;
  /** Parameter names of a function-like macro; undefined for an object-like one. */
  params?: string[];
  variadic: boolean;
  body: Token[];
  /** Zero-based line of the `#define`. */
  line: number;
}

/** What a directive line does to the macro table, keyed by its line. */
export type MacroEvent = { kind: 'define'; macro: MacroDefinition } | { kind: 'undef'; name: string };

interface Tok extends Token {
  /** Macros whose expansion produced this token: it is not expanded again by them (C 6.10.3.4). */
  hide?: ReadonlySet<string>;
}

/** A `#define`'s body as tokens; splices are joined first, as the compiler's phase 2 does. */
export function macroBody(value: string, line: number): Token[] {
  return new Lexer(value.replace(/\\\r?\n/g, ' '), { firstLine: line, inDirective: true }).tokens().filter((t) => t.kind !== 'newline');
}

/** A bound on the work a macro bomb (`#define A B B`, `#define B C C`, …) can cause. */
const MAX_EXPANDED_TOKENS = 200_000;

const stringize = (tokens: Token[]): string => `"${tokens.map((t) => t.text).join(' ').replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class MacroExpander {
  readonly problems: LexProblem[] = [];
  /** Each directive line the lexer saw: its zero-based line and its name (`define`, `include`, …). */
  readonly directives: { line: number; name: string }[] = [];
  private readonly table: Map<string, MacroDefinition>;
  private produced = 0;

  constructor(
    initial: ReadonlyMap<string, MacroDefinition>,
    private readonly events: ReadonlyMap<number, MacroEvent>,
  ) {
    this.table = new Map(initial);
  }

  /** The text with every visible macro expanded; directive lines copied as they are. */
  expand(text: string): string {
    const lexer = new Lexer(text);
    const tokens = lexer.tokens();
    this.problems.push(...lexer.problems);
    return this.rescan(tokens)
      .map((t) => (t.kind === 'newline' ? '\n' : t.kind === 'directive' ? t.text : ` ${t.text}`))
      .join('');
  }

  /** Expands every macro call in `input`; a directive line updates the table for the text after it. */
  private rescan(input: Tok[]): Tok[] {
    const out: Tok[] = [];
    let i = 0;
    while (i < input.length) {
      const t = input[i];
      if (t.kind === 'directive') {
        this.directives.push({ line: t.line, name: /^#\s*(\w*)/.exec(t.text)?.[1] ?? '' });
        this.apply(this.events.get(t.line));
      }
      const replaced = t.kind === 'identifier' ? this.invocation(input, i) : undefined;
      if (!replaced) {
        out.push(t);
        i++;
        continue;
      }
      this.produced += replaced.tokens.length;
      if (this.produced > MAX_EXPANDED_TOKENS) {
        this.problems.push({ line: t.line, construct: `macro ${t.text}`, message: `the macros expand to more than ${MAX_EXPANDED_TOKENS} tokens: write the code out` });
        return out;
      }
      // The expansion goes back into the input: its last name may take arguments from the text after it.
      input.splice(i, replaced.consumed, ...replaced.tokens, ...replaced.newlines);
    }
    return out;
  }

  private apply(event: MacroEvent | undefined): void {
    if (event?.kind === 'define') this.table.set(event.macro.name, event.macro);
    if (event?.kind === 'undef') this.table.delete(event.name);
  }

  /**
   * The macro call starting at `input[at]`, substituted (not yet rescanned); undefined when `input[at]` is not a
   * macro call. Newlines inside the call's arguments are returned apart, to be put back after the expansion.
   */
  private invocation(input: Tok[], at: number): { consumed: number; tokens: Tok[]; newlines: Tok[] } | undefined {
    const name = input[at];
    const macro = this.table.get(name.text);
    if (!macro || name.hide?.has(name.text)) return undefined;
    if (!macro.params) {
      return { consumed: 1, tokens: this.substitute(macro, [], new Set([...(name.hide ?? []), name.text]), name.line), newlines: [] };
    }
    let j = at + 1;
    const newlines: Tok[] = [];
    while (input[j]?.kind === 'newline') newlines.push(input[j++]);
    if (input[j]?.kind === 'directive') {
      this.problems.push({ line: name.line, construct: `macro call ${name.text}`, message: `a preprocessor directive between the function-like macro '${name.text}' and its arguments: put the call on one line` });
      return undefined;
    }
    if (input[j]?.text !== '(') return undefined;
    const args: Tok[][] = [[]];
    let depth = 0;
    for (j++; j < input.length; j++) {
      const t = input[j];
      if (t.kind === 'directive') {
        this.problems.push({ line: name.line, construct: `macro call ${name.text}`, message: `the arguments of the macro '${name.text}' span a preprocessor directive: keep the call free of directives` });
        return undefined;
      }
      if (t.kind === 'newline') {
        newlines.push(t);
        continue;
      }
      if (t.text === '(') depth++;
      if (t.text === ')' && depth-- === 0) break;
      if (t.text === ',' && depth === 0 && !(macro.variadic && args.length > macro.params.length)) args.push([]);
      else args[args.length - 1].push(t);
    }
    if (j >= input.length) {
      this.problems.push({ line: name.line, construct: `macro call ${name.text}`, message: `the call of the macro '${name.text}' has no closing ')'` });
      return undefined;
    }
    const hide = new Set([...(name.hide ?? []), name.text]);
    return { consumed: j - at + 1, tokens: this.substitute(macro, args, hide, name.line), newlines };
  }

  /** The macro's body with its parameters replaced (C 6.10.3.1–3), each token marked with `hide`. */
  private substitute(macro: MacroDefinition, args: Tok[][], hide: ReadonlySet<string>, line: number): Tok[] {
    const index = new Map<string, number>((macro.params ?? []).map((p, i) => [p, i]));
    if (macro.variadic) index.set('__VA_ARGS__', macro.params?.length ?? 0);
    const argOf = (t: Token | undefined): Tok[] | undefined => (t?.kind === 'identifier' && index.has(t.text) ? (args[index.get(t.text) ?? -1] ?? []) : undefined);
    const body = macro.body;
    const out: Tok[] = [];
    const pasteNext: boolean[] = [];
    for (let k = 0; k < body.length; k++) {
      const t = body[k];
      if (macro.params && t.text === '#' && argOf(body[k + 1])) {
        out.push({ kind: 'string', text: stringize(argOf(body[++k]) ?? []), line });
        continue;
      }
      if (t.text === '##' && out.length) {
        pasteNext[out.length - 1] = true;
        continue;
      }
      const arg = argOf(t);
      if (!arg) {
        out.push({ ...t, line });
        continue;
      }
      // Next to ## an argument is pasted as written; elsewhere it is fully expanded first.
      const raw = body[k + 1]?.text === '##' || body[k - 1]?.text === '##';
      // An empty argument after ## pastes nothing (a placemarker): the token before it stays as it is.
      if (raw && arg.length === 0 && body[k - 1]?.text === '##') pasteNext[out.length - 1] = false;
      out.push(...(raw ? arg : this.expandIsolated(arg)).map((a) => ({ ...a, line })));
    }
    return this.paste(out, pasteNext).map((t) => ({ ...t, hide: new Set([...(t.hide ?? []), ...hide]) }));
  }

  private paste(tokens: Tok[], pasteNext: boolean[]): Tok[] {
    const out: Tok[] = [];
    for (let k = 0; k < tokens.length; k++) {
      let t = tokens[k];
      while (pasteNext[k] && k + 1 < tokens.length) {
        const joined = new Lexer(t.text + tokens[++k].text, { inDirective: true }).tokens();
        t = joined.length === 1 ? { ...joined[0], line: t.line } : { ...t, text: t.text + tokens[k].text, kind: 'other' };
      }
      out.push(t);
    }
    return out;
  }

  /** An argument's full expansion, on its own (the prescan of C 6.10.3.1). */
  private expandIsolated(tokens: Tok[]): Tok[] {
    return this.rescan([...tokens]);
  }
}
