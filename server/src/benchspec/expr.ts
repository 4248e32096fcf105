// The size-expression language of bench specs: shapes, launch dimensions, scalar values and roofline counts.
//
//   expr    := shift
//   shift   := sum (('<<' | '>>') sum)*
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/' | '%') unary)*
//   unary   := ('-' | '+') unary | primary
//   primary := number | identifier | identifier '(' expr (',' expr)* ')' | '(' expr ')'
//
// Precedence and arithmetic follow C on `long long`, because the harness evaluates the same expressions in
// generated C++ (toCpp) and both sides must agree: integer `/` truncates toward zero, `%` takes the dividend's
// sign, and a float literal anywhere makes that operation floating point. Identifiers are size variables; the
// only functions are cdiv (ceiling division), min and max. Hand-written recursive descent: no eval(), so a spec
// file cannot run code.

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<<' | '>>';
export type FunctionName = 'cdiv' | 'min' | 'max';

interface Span {
  /** Offsets into the source text, end exclusive. */
  start: number;
  end: number;
}

export type ExprNode =
  | (Span & { kind: 'number'; value: number; integer: boolean; text: string })
  | (Span & { kind: 'variable'; name: string })
  | (Span & { kind: 'unary'; op: '-' | '+'; operand: ExprNode })
  | (Span & { kind: 'binary'; op: BinaryOp; left: ExprNode; right: ExprNode })
  | (Span & { kind: 'call'; fn: FunctionName; args: ExprNode[] });

export const FUNCTIONS: readonly FunctionName[] = ['cdiv', 'min', 'max'];

/**
 * Limits that keep parsing, evaluation and the generated C++ bounded (the parser and every walk recurse): a size
 * expression is a line of arithmetic, so anything past these is a mistake or an attack, refused with an ExprError.
 */
export const MAX_EXPR_LENGTH = 4096;
export const MAX_EXPR_DEPTH = 64;

const arity: Record<FunctionName, { min: number; max: number }> = {
  cdiv: { min: 2, max: 2 },
  min: { min: 2, max: Infinity },
  max: { min: 2, max: Infinity },
};

/** A parse or evaluation error, with the offending span of the source (0-based offsets). */
export class ExprError extends Error {
  constructor(
    /** The problem without the location, e.g. `unknown size variable 'm'`. */
    readonly reason: string,
    /** The expression text; undefined when evaluating an already-parsed node (the caller has the text). */
    readonly source: string | undefined,
    readonly start: number,
    readonly end: number = start + 1,
  ) {
    super(source !== undefined ? `${reason} at column ${start + 1} of '${source}'` : reason);
    this.name = 'ExprError';
  }
}

type TokenKind = 'number' | 'ident' | 'op' | '(' | ')' | ',' | 'end';
interface Token extends Span {
  kind: TokenKind;
  text: string;
}

const numberPattern = /^(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/;
const identPattern = /^[A-Za-z_][A-Za-z0-9_]*/;

function tokenize(source: string): Token[] {
  if (source.length > MAX_EXPR_LENGTH) throw new ExprError(`expression is ${source.length} characters long (limit ${MAX_EXPR_LENGTH})`, undefined, 0, source.length);
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = source.slice(i);
    const num = numberPattern.exec(rest);
    if (num) {
      // `2n` or `3x` would otherwise read as a number followed by a variable, which is never what was meant.
      if (/^[A-Za-z_]/.test(rest.slice(num[0].length))) {
        throw new ExprError(`malformed number '${rest.slice(0, num[0].length + 1)}'`, source, i, i + num[0].length + 1);
      }
      tokens.push({ kind: 'number', text: num[0], start: i, end: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const ident = identPattern.exec(rest);
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0], start: i, end: i + ident[0].length });
      i += ident[0].length;
      continue;
    }
    const two = rest.slice(0, 2);
    if (two === '<<' || two === '>>') {
      tokens.push({ kind: 'op', text: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if ('+-*/%'.includes(c)) {
      tokens.push({ kind: 'op', text: c, start: i, end: i + 1 });
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c, text: c, start: i, end: i + 1 });
    } else {
      throw new ExprError(`unexpected character '${c}'`, source, i);
    }
    i++;
  }
  tokens.push({ kind: 'end', text: '', start: source.length, end: source.length });
  return tokens;
}

class Parser {
  private index = 0;
  /** Parentheses, calls and unary signs open around the current token: the parser's own recursion. */
  private nesting = 0;
  /** Height of each node built so far: evaluation, printing and toCpp recurse that deep. */
  private readonly heights = new WeakMap<ExprNode, number>();
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private fail(token: Token, reason: string): never {
    throw new ExprError(reason, this.source, token.start, Math.max(token.end, token.start + 1));
  }

  private tooDeep(token: Token): never {
    return this.fail(token, `expression nested too deeply (more than ${MAX_EXPR_DEPTH} levels of parentheses, calls and operators)`);
  }

  /** Enters one level of the parser's recursion (a parenthesis, a call, a sign). */
  private enter(token: Token): void {
    if (++this.nesting > MAX_EXPR_DEPTH) this.tooDeep(token);
  }

  /** Records a node's height, refusing trees that would be too deep to walk. */
  private built<T extends ExprNode>(node: T, token: Token, children: ExprNode[]): T {
    const height = 1 + Math.max(0, ...children.map((c) => this.heights.get(c) ?? 1));
    if (height > MAX_EXPR_DEPTH) this.tooDeep(token);
    this.heights.set(node, height);
    return node;
  }

  private describe(token: Token): string {
    return token.kind === 'end' ? 'end of expression' : `'${token.text}'`;
  }

  parseAll(): ExprNode {
    if (this.peek().kind === 'end') this.fail(this.peek(), 'empty expression');
    const node = this.shift();
    const token = this.peek();
    if (token.kind !== 'end') this.fail(token, `unexpected ${this.describe(token)}; expected an operator`);
    return node;
  }

  private binaryLevel(ops: string[], operand: () => ExprNode): ExprNode {
    let left = operand();
    while (this.peek().kind === 'op' && ops.includes(this.peek().text)) {
      const token = this.next();
      const right = operand();
      left = this.built({ kind: 'binary', op: token.text as BinaryOp, left, right, start: left.start, end: right.end }, token, [left, right]);
    }
    return left;
  }

  private shift(): ExprNode {
    return this.binaryLevel(['<<', '>>'], () => this.sum());
  }

  private sum(): ExprNode {
    return this.binaryLevel(['+', '-'], () => this.product());
  }

  private product(): ExprNode {
    return this.binaryLevel(['*', '/', '%'], () => this.unary());
  }

  private unary(): ExprNode {
    const token = this.peek();
    if (token.kind === 'op' && (token.text === '-' || token.text === '+')) {
      this.next();
      this.enter(token);
      const operand = this.unary();
      this.nesting--;
      return this.built({ kind: 'unary', op: token.text, operand, start: token.start, end: operand.end }, token, [operand]);
    }
    return this.primary();
  }

  private primary(): ExprNode {
    const token = this.next();
    switch (token.kind) {
      case 'number': {
        const integer = /^\d+$/.test(token.text);
        const value = Number(token.text);
        if (integer && !Number.isSafeInteger(value)) this.fail(token, `integer literal ${token.text} is too large (limit 2^53)`);
        return { kind: 'number', value, integer, text: token.text, start: token.start, end: token.end };
      }
      case 'ident': {
        if (this.peek().kind !== '(') return { kind: 'variable', name: token.text, start: token.start, end: token.end };
        if (!(FUNCTIONS as readonly string[]).includes(token.text)) {
          this.fail(token, `unknown function '${token.text}' (available: ${FUNCTIONS.join(', ')})`);
        }
        const fn = token.text as FunctionName;
        this.next();
        this.enter(token);
        const args: ExprNode[] = [this.shift()];
        while (this.peek().kind === ',') {
          this.next();
          args.push(this.shift());
        }
        const close = this.next();
        if (close.kind !== ')') this.fail(close, `expected ',' or ')' in call to ${fn}, found ${this.describe(close)}`);
        const { min, max } = arity[fn];
        if (args.length < min || args.length > max) {
          const wanted = min === max ? `${min}` : `at least ${min}`;
          throw new ExprError(`${fn} takes ${wanted} arguments, got ${args.length}`, this.source, token.start, close.end);
        }
        this.nesting--;
        return this.built({ kind: 'call', fn, args, start: token.start, end: close.end }, token, args);
      }
      case '(': {
        this.enter(token);
        const inner = this.shift();
        this.nesting--;
        const close = this.next();
        if (close.kind !== ')') this.fail(close, `expected ')' to close '(' at column ${token.start + 1}, found ${this.describe(close)}`);
        // Keep the parentheses in the span so errors underline what the user wrote.
        const wrapped = { ...inner, start: token.start, end: close.end };
        this.heights.set(wrapped, this.heights.get(inner) ?? 1);
        return wrapped;
      }
      default:
        return this.fail(token, `unexpected ${this.describe(token)}; expected a number, a size variable or '('`);
    }
  }
}

/** Parses an expression; throws ExprError with the position of the first problem. */
export function parseExpr(source: string): ExprNode {
  return new Parser(source, tokenize(source)).parseAll();
}

/** Parses, returning the error instead of throwing (for validators that collect every problem). */
export function tryParseExpr(source: string): { node: ExprNode } | { error: ExprError } {
  try {
    return { node: parseExpr(source) };
  } catch (error) {
    if (error instanceof ExprError) return { error };
    throw error;
  }
}

function asNode(expr: string | ExprNode): { node: ExprNode; source: string | undefined } {
  return typeof expr === 'string' ? { node: parseExpr(expr), source: expr } : { node: expr, source: undefined };
}

/** Size variables an expression uses, each once, in order of first use. */
export function variablesOf(expr: string | ExprNode): string[] {
  const seen = new Set<string>();
  const walk = (node: ExprNode): void => {
    switch (node.kind) {
      case 'variable':
        seen.add(node.name);
        break;
      case 'unary':
        walk(node.operand);
        break;
      case 'binary':
        walk(node.left);
        walk(node.right);
        break;
      case 'call':
        node.args.forEach(walk);
        break;
      case 'number':
        break;
    }
  };
  walk(asNode(expr).node);
  return [...seen];
}

interface Value {
  value: number;
  integer: boolean;
}

/** Evaluates with C `long long`/`double` semantics; throws ExprError on unknown variables, /0, overflow. */
export function evaluate(expr: string | ExprNode, vars: Readonly<Record<string, number>>): number {
  const { node, source } = asNode(expr);
  return evaluateNode(node, vars, source).value;
}

/** Like evaluate, but also says whether the result is an integer in C's sense (no float literal involved). */
export function evaluateTyped(expr: string | ExprNode, vars: Readonly<Record<string, number>>): Value {
  const { node, source } = asNode(expr);
  return evaluateNode(node, vars, source);
}

function evaluateNode(node: ExprNode, vars: Readonly<Record<string, number>>, source: string | undefined): Value {
  const fail = (reason: string): never => {
    throw new ExprError(reason, source, node.start, node.end);
  };
  const checked = (value: number): Value => {
    if (!Number.isSafeInteger(value)) fail(`integer overflow (${value} is beyond 2^53)`);
    // `+ 0` turns -0 (from Math.trunc(-0.5) or -0 * x) into the 0 a C integer would be.
    return { value: value + 0, integer: true };
  };
  switch (node.kind) {
    case 'number':
      return { value: node.value, integer: node.integer };
    case 'variable': {
      if (!Object.prototype.hasOwnProperty.call(vars, node.name)) {
        const known = Object.keys(vars);
        return fail(`unknown size variable '${node.name}' (${known.length ? `known: ${known.join(', ')}` : 'no size variables defined'})`);
      }
      const value = vars[node.name];
      if (typeof value !== 'number' || Number.isNaN(value)) return fail(`size variable '${node.name}' has no numeric value`);
      return { value, integer: Number.isInteger(value) };
    }
    case 'unary': {
      const operand = evaluateNode(node.operand, vars, source);
      if (node.op === '+') return operand;
      return operand.integer ? checked(-operand.value) : { value: -operand.value, integer: false };
    }
    case 'binary': {
      const a = evaluateNode(node.left, vars, source);
      const b = evaluateNode(node.right, vars, source);
      const integer = a.integer && b.integer;
      switch (node.op) {
        case '+':
          return integer ? checked(a.value + b.value) : { value: a.value + b.value, integer };
        case '-':
          return integer ? checked(a.value - b.value) : { value: a.value - b.value, integer };
        case '*':
          return integer ? checked(a.value * b.value) : { value: a.value * b.value, integer };
        case '/':
          if (!integer) return { value: a.value / b.value, integer };
          if (b.value === 0) return fail('integer division by zero');
          return checked(Math.trunc(a.value / b.value));
        case '%':
          if (!integer) return fail("'%' needs integer operands (as in C)");
          if (b.value === 0) return fail('integer modulo by zero');
          // JS `%` already takes the sign of the dividend, as C99 does.
          return checked(a.value % b.value);
        case '<<':
        case '>>':
          if (!integer) return fail(`'${node.op}' needs integer operands`);
          if (b.value < 0 || b.value > 62) return fail(`shift count ${b.value} is outside 0..62`);
          // JS shifts are 32-bit; long long ones are not. `>>` floors, which is what C++20 specifies for negatives.
          return node.op === '<<' ? checked(a.value * 2 ** b.value) : checked(Math.floor(a.value / 2 ** b.value));
      }
      break;
    }
    case 'call': {
      const args = node.args.map((arg) => evaluateNode(arg, vars, source));
      if (node.fn === 'cdiv') {
        const [a, b] = args;
        if (!a.integer || !b.integer) return fail('cdiv needs integer operands');
        if (b.value === 0) return fail('cdiv by zero');
        // The same formula toCpp emits, so both sides agree even for negative operands.
        return checked(Math.trunc((a.value + b.value - 1) / b.value));
      }
      const pick = node.fn === 'min' ? Math.min : Math.max;
      return { value: pick(...args.map((a) => a.value)), integer: args.every((a) => a.integer) };
    }
  }
  return fail('unsupported expression');
}

export interface CppOptions {
  /** How a size variable is spelled in C++ (default: its name, which the harness declares as `long long`). */
  variable?: (name: string) => string;
}

/** C++ for the harness: integer literals as `long long`, every operation parenthesised, no helper functions. */
export function toCpp(expr: string | ExprNode, options: CppOptions = {}): string {
  const spell = options.variable ?? ((name: string) => name);
  const emit = (node: ExprNode): string => {
    switch (node.kind) {
      case 'number':
        // Our float syntax is a subset of C's, so the literal text is valid C++ and keeps its precision.
        return node.integer ? `${node.value}LL` : node.text;
      case 'variable':
        return spell(node.name);
      case 'unary':
        return `(${node.op}${emit(node.operand)})`;
      case 'binary':
        return `(${emit(node.left)} ${node.op} ${emit(node.right)})`;
      case 'call': {
        const args = node.args.map(emit);
        if (node.fn === 'cdiv') return `(((${args[0]})+(${args[1]})-1)/(${args[1]}))`;
        const cmp = node.fn === 'min' ? '<' : '>';
        // A ternary rather than std::min: std::min refuses mixed int/long long argument types.
        return args.reduce((acc, arg) => `((${acc}) ${cmp} (${arg}) ? (${acc}) : (${arg}))`);
      }
    }
  };
  return emit(asNode(expr).node);
}

const precedence: Record<BinaryOp, number> = { '<<': 1, '>>': 1, '+': 2, '-': 2, '*': 3, '/': 3, '%': 3 };

/** Prints an expression in the spec language with only the parentheses it needs (`(n + 255) / 256`). */
export function formatExpr(expr: string | ExprNode): string {
  const print = (node: ExprNode, parent: number, rightSide: boolean): string => {
    switch (node.kind) {
      case 'number':
        return node.text;
      case 'variable':
        return node.name;
      case 'unary': {
        const inner = print(node.operand, 4, false);
        return `${node.op}${inner}`;
      }
      case 'binary': {
        const p = precedence[node.op];
        const text = `${print(node.left, p, false)} ${node.op} ${print(node.right, p, true)}`;
        // Operators are left-associative: a right operand of equal precedence needs parentheses (a - (b - c)).
        return p < parent || (p === parent && rightSide) ? `(${text})` : text;
      }
      case 'call':
        return `${node.fn}(${node.args.map((a) => print(a, 0, false)).join(', ')})`;
    }
  };
  return print(asNode(expr).node, 0, false);
}

/** Replaces variables by expressions (used to rename a caller's locals to the kernel's size variables). */
export function substitute(expr: string | ExprNode, replace: (name: string) => ExprNode | undefined): ExprNode {
  const walk = (node: ExprNode): ExprNode => {
    switch (node.kind) {
      case 'variable':
        return replace(node.name) ?? node;
      case 'unary':
        return { ...node, operand: walk(node.operand) };
      case 'binary':
        return { ...node, left: walk(node.left), right: walk(node.right) };
      case 'call':
        return { ...node, args: node.args.map(walk) };
      case 'number':
        return node;
    }
  };
  return walk(asNode(expr).node);
}

/** True when the text is a plain identifier usable as a size variable. */
export function isIdentifier(text: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) && !(FUNCTIONS as readonly string[]).includes(text);
}
