import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, evaluateTyped, ExprError, formatExpr, parseExpr, toCpp, variablesOf } from '../../server/src/benchspec/expr';

test('precedence and associativity follow C', () => {
  assert.equal(evaluate('2 + 3 * 4', {}), 14);
  assert.equal(evaluate('(2 + 3) * 4', {}), 20);
  assert.equal(evaluate('10 - 4 - 3', {}), 3);
  assert.equal(evaluate('100 / 10 / 5', {}), 2);
  assert.equal(evaluate('-2 * 3', {}), -6);
  assert.equal(evaluate('- -3', {}), 3);
  assert.equal(evaluate('1 << 4 + 1', {}), 32, 'shift binds looser than +');
  assert.equal(evaluate('1 << 20', {}), 1048576);
  assert.equal(evaluate('1 << 40', {}), 2 ** 40, 'long long shifts, not 32-bit JS shifts');
  assert.equal(evaluate('17 % 5 * 2', {}), 4);
});

test('integer division truncates toward zero and % takes the dividend sign, as in C', () => {
  assert.equal(evaluate('7 / 2', {}), 3);
  assert.equal(evaluate('-7 / 2', {}), -3);
  assert.equal(evaluate('7 / -2', {}), -3);
  assert.equal(evaluate('-7 % 3', {}), -1);
  assert.equal(evaluate('7 % -3', {}), 1);
  assert.equal(evaluate('n / 256', { n: 1000 }), 3);
  assert.equal(evaluate('(n + 255) / 256', { n: 1000 }), 4);
});

test('a float literal makes the operation floating point', () => {
  assert.equal(evaluate('7 / 2.0', {}), 3.5);
  assert.equal(evaluate('1e-5', {}), 1e-5);
  assert.deepEqual(evaluateTyped('n * 2', { n: 3 }), { value: 6, integer: true });
  assert.deepEqual(evaluateTyped('n * 0.5', { n: 3 }), { value: 1.5, integer: false });
  assert.equal(evaluate('.5 + 1.', {}), 1.5);
});

test('cdiv, min and max', () => {
  assert.equal(evaluate('cdiv(1000, 256)', {}), 4);
  assert.equal(evaluate('cdiv(1024, 256)', {}), 4);
  assert.equal(evaluate('cdiv(1025, 256)', {}), 5);
  assert.equal(evaluate('cdiv(0, 256)', {}), 0);
  assert.equal(evaluate('min(rows, 64)', { rows: 100 }), 64);
  assert.equal(evaluate('max(rows, 64, 200)', { rows: 100 }), 200);
  assert.equal(evaluate('cdiv(n, min(n, 256)) * 2', { n: 10 }), 2);
});

test('variablesOf lists each size variable once, in order of use', () => {
  assert.deepEqual(variablesOf('cdiv(rows * cols, block) + rows'), ['rows', 'cols', 'block']);
  assert.deepEqual(variablesOf('42'), []);
});

function expectError(source: string, reason: RegExp, column: number, vars: Record<string, number> = {}): void {
  assert.throws(
    () => evaluate(source, vars),
    (error: unknown) => {
      assert.ok(error instanceof ExprError, `expected ExprError for '${source}', got ${String(error)}`);
      assert.match(error.reason, reason);
      assert.equal(error.start + 1, column, `column of the error in '${source}': ${error.message}`);
      assert.match(error.message, new RegExp(`column ${column}`));
      return true;
    },
  );
}

test('errors name the problem and its column', () => {
  expectError('n + ', /unexpected end of expression/, 5);
  expectError('n + * 2', /unexpected '\*'/, 5);
  expectError('(n + 1', /expected '\)'/, 7);
  expectError('n + 1)', /unexpected '\)'/, 6);
  expectError('n $ 2', /unexpected character '\$'/, 3);
  expectError('sqrt(n)', /unknown function 'sqrt'/, 1);
  expectError('cdiv(n)', /cdiv takes 2 arguments, got 1/, 1, { n: 1 });
  expectError('2n', /malformed number/, 1);
  expectError('n / 0', /division by zero/, 1, { n: 4 });
  expectError('rows * m', /unknown size variable 'm'/, 8, { rows: 2 });
  expectError('7.5 % 2', /needs integer operands/, 1);
  expectError('', /empty expression/, 1);
  expectError('99999999999999999999', /too large/, 1);
  expectError('n * n', /overflow/, 1, { n: 2 ** 40 });
});

test('no eval: identifiers that name JS globals are just unknown size variables', () => {
  expectError('constructor', /unknown size variable 'constructor'/, 1);
  expectError('process', /unknown size variable 'process'/, 1);
  assert.throws(() => parseExpr('a; b'), ExprError);
});

test('formatExpr keeps only needed parentheses', () => {
  assert.equal(formatExpr('((n + 255)) / (256)'), '(n + 255) / 256');
  assert.equal(formatExpr('a - (b - c)'), 'a - (b - c)');
  assert.equal(formatExpr('(a - b) - c'), 'a - b - c');
  assert.equal(formatExpr('a * (b * c)'), 'a * (b * c)');
  assert.equal(formatExpr('-(a + b)'), '-(a + b)');
  assert.equal(formatExpr('cdiv( n ,256 )'), 'cdiv(n, 256)');
});

// A tiny evaluator for exactly the C++ toCpp emits, with BigInt so it behaves like `long long` (BigInt division
// truncates toward zero and % keeps the dividend's sign, as C does). Floats use JS numbers.
type CppValue = bigint | number;
function evalCpp(source: string, vars: Record<string, bigint>): CppValue {
  const tokens = source.match(/\d+LL|\d+\.\d*(?:[eE][+-]?\d+)?|\d+(?:[eE][+-]?\d+)|\.\d+|\d+|[A-Za-z_]\w*|<<|>>|[-+*/%()<>?:]/g) ?? [];
  assert.equal(tokens.join(''), source.replace(/\s+/g, ''), `unexpected characters in C++ '${source}'`);
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const take = (expected?: string): string => {
    const token = tokens[i++];
    if (expected !== undefined) assert.equal(token, expected);
    return token;
  };
  const arith = (op: string, a: CppValue, b: CppValue): CppValue => {
    if (typeof a === 'bigint' && typeof b === 'bigint') {
      switch (op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return a / b;
        case '%': return a % b;
        case '<<': return a << b;
        case '>>': return a >> b;
      }
    }
    const x = Number(a);
    const y = Number(b);
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y;
    }
    throw new Error(`bad op ${op}`);
  };
  const primary = (): CppValue => {
    const token = take();
    if (token === '(') {
      const value = ternary();
      take(')');
      return value;
    }
    if (token === '-') return arith('-', 0n, primary()) as CppValue;
    if (token === '+') return primary();
    if (/^\d+LL$/.test(token)) return BigInt(token.slice(0, -2));
    // A plain int literal next to long long operands is promoted to long long.
    if (/^\d+$/.test(token)) return BigInt(token);
    if (/^[\d.]/.test(token)) return Number(token);
    assert.ok(token in vars, `unknown C++ variable ${token}`);
    return vars[token];
  };
  const level = (ops: string[], next: () => CppValue) => (): CppValue => {
    let value = next();
    while (peek() !== undefined && ops.includes(peek() as string)) {
      const op = take();
      value = arith(op, value, next());
    }
    return value;
  };
  const product = level(['*', '/', '%'], primary);
  const sum = level(['+', '-'], product);
  const shift = level(['<<', '>>'], sum);
  const compare = (): CppValue => {
    const left = shift();
    if (peek() === '<' || peek() === '>') {
      const op = take();
      const right = shift();
      return (op === '<' ? left < right : left > right) ? 1n : 0n;
    }
    return left;
  };
  function ternary(): CppValue {
    const condition = compare();
    if (peek() !== '?') return condition;
    take('?');
    const a = ternary();
    take(':');
    const b = ternary();
    return condition !== 0n && condition !== 0 ? a : b;
  }
  const value = ternary();
  assert.equal(i, tokens.length, `trailing tokens in '${source}'`);
  return value;
}

test('toCpp emits long long C++ that computes the same values (round trip through a C-semantics evaluator)', () => {
  const cases = [
    'cdiv(n, 256)',
    '(n + 255) / 256',
    '-7 / 2 + n % 3',
    'rows * cols * 4',
    'min(rows, 64) + max(cols, 3, 9)',
    'cdiv(rows * cols, 128) - (1 << 10) + (n >> 2)',
    '-n / 3',
    '-(n - 10) % 4',
    'n / 2 / 2',
  ];
  const points = [{ n: 1000, rows: 33, cols: 7 }, { n: 1, rows: 1, cols: 1 }, { n: 4097, rows: 1024, cols: 768 }];
  for (const source of cases) {
    for (const vars of points) {
      const cpp = toCpp(source);
      const expected = evaluate(source, vars);
      const actual = evalCpp(cpp, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, BigInt(v)])));
      assert.equal(Number(actual), expected, `${source} → ${cpp} at ${JSON.stringify(vars)}`);
    }
  }
  assert.equal(toCpp('cdiv(n, 256)'), '(((n)+(256LL)-1)/(256LL))');
  assert.equal(toCpp('n * 0.5', { variable: (name) => `kp_${name}` }), '(kp_n * 0.5)');
});
