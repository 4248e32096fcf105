// Input that used to crash or stall the engine: recursion limits with a clear message (size expressions, spec
// JSON, nested blocks in sources), LSP line rules in the open-document model, and the parse in slices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specDiagnostics } from '../../server/src/benchspec/diagnostics';
import { ExprError, evaluate, MAX_EXPR_DEPTH, parseExpr } from '../../server/src/benchspec/expr';
import { MAX_JSON_DEPTH } from '../../server/src/benchspec/json-depth';
import { loadSpecText } from '../../server/src/benchspec/store';
import { discover } from '../../server/src/kernels/discover';
import { KernelDocument } from '../../server/src/kernels/document';
import { unreadableReason } from '../../server/src/kernels/language';
import { indexLines, offsetAt, positionAt } from '../../server/src/kernels/lines';

const spec = (grid: string) => JSON.stringify({ version: 1, kernel: 'k', sizes: { n: 16 }, args: [{ name: 'n', role: 'scalar', dtype: 'int32', value: 'n' }], launch: { grid: [grid], block: ['256'] } });

test('size expressions: 1000 parentheses, long operator chains and sign runs are refused with a clear ExprError', { timeout: 10_000 }, () => {
  for (const source of ['('.repeat(1000) + 'n' + ')'.repeat(1000), 'n' + ' + n'.repeat(200), '-'.repeat(100) + 'n', 'max(' .repeat(100) + 'n, 1' + ')'.repeat(100)]) {
    assert.throws(() => parseExpr(source), (e: unknown) => e instanceof ExprError && /nested too deeply \(more than 64 levels/.test(e.message), source.slice(0, 30));
  }
  assert.throws(() => parseExpr('n'.repeat(5000)), /5000 characters long \(limit 4096\)/);
  // Within the limits, deep is fine and evaluates.
  const deep = '('.repeat(MAX_EXPR_DEPTH - 2) + 'n + 1' + ')'.repeat(MAX_EXPR_DEPTH - 2);
  assert.equal(evaluate(deep, { n: 1 }), 2);
  assert.equal(evaluate('n' + ' + 1'.repeat(40), { n: 1 }), 41);
});

test('a spec whose grid is 1000 parentheses deep: a diagnostic on the expression, no crash', { timeout: 10_000 }, () => {
  const diagnostics = specDiagnostics(spec('('.repeat(1000) + 'n' + ')'.repeat(1000)));
  assert.ok(diagnostics.some((d) => d.severity === 'error' && /nested too deeply/.test(d.message) && d.path === '/launch/grid/0'), JSON.stringify(diagnostics).slice(0, 400));
});

test('spec JSON nested 3000 deep: one error at the bracket past the limit, from the editor and the loader', { timeout: 10_000 }, () => {
  const text = '{"kernel": "k", "x": ' + '['.repeat(3000) + ']'.repeat(3000) + '}';
  const diagnostics = specDiagnostics(text);
  assert.equal(diagnostics.length, 1);
  assert.match(diagnostics[0].message, /nested more than 32 levels deep/);
  assert.equal(diagnostics[0].range.start.character, text.indexOf('[') + MAX_JSON_DEPTH - 1, 'on the 32nd bracket inside the object, the 33rd level');
  const loaded = loadSpecText('/ws/.kernelpilot/specs/k.json', text);
  assert.equal(loaded.spec, undefined);
  assert.match(loaded.parseErrors[0].message, /nested more than 32 levels/);
  // Brackets in strings and comments are text, not nesting.
  const quoted = specDiagnostics(`// ${'['.repeat(100)}\n` + spec('n').replace('"k"', `"${'['.repeat(100)}"`));
  assert.ok(!quoted.some((d) => /nested more than/.test(d.message)), JSON.stringify(quoted));
});

test('sources nested thousands of levels deep are read without a stack overflow', { timeout: 60_000 }, async () => {
  const deep = 3000;
  const cases: [string, string][] = [
    ['ns.cu', `${'namespace a { '.repeat(deep)}__global__ void k(int* p) {}${' }'.repeat(deep)}\n__global__ void top(int* p) {}\n`],
    ['linkage.cu', `${'extern "C" { '.repeat(deep)}__global__ void k(int* p) {}${' }'.repeat(deep)}\n__global__ void top(int* p) {}\n`],
    ['blocks.cu', `__global__ void top(int* p) { ${'{'.repeat(deep)} p[0] = ${'('.repeat(deep)}1${')'.repeat(deep)}; ${'}'.repeat(deep)} }\n`],
    ['nested.py', `import triton\n${Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}if x:\n`).join('')}${' '.repeat(400)}pass\n@triton.jit\ndef top(x):\n    pass\n`],
  ];
  for (const [file, text] of cases) {
    const started = performance.now();
    const { kernels } = await discover(`/ws/${file}`, text);
    assert.ok(kernels.some((k) => k.name === 'top'), `${file}: ${kernels.map((k) => k.qualifiedName.slice(0, 40)).join(', ')}`);
    assert.ok(performance.now() - started < 20_000, `${file} took ${(performance.now() - started).toFixed(0)} ms`);
  }
});

test('LSP line rules: \\r\\n, \\n and a lone \\r end lines; positions past a line end or the last line clamp', () => {
  const text = 'ab\r\ncd\ref\ngh';
  const index = indexLines(text);
  assert.deepEqual(index.starts, [0, 4, 7, 10]);
  assert.equal(index.loneCr, true);
  assert.equal(offsetAt(text, index, { line: 0, character: 99 }), 2, 'before the \\r\\n, not inside it');
  assert.equal(offsetAt(text, index, { line: 1, character: 5 }), 6, 'before the lone \\r');
  assert.equal(offsetAt(text, index, { line: 3, character: 99 }), text.length);
  assert.equal(offsetAt(text, index, { line: 9, character: 0 }), text.length);
  assert.equal(offsetAt(text, index, { line: -1, character: 3 }), 0);
  assert.deepEqual(positionAt(index, 8), { line: 2, character: 1 });
});

test('an open document: edits by the LSP rules, kernels at editor lines in a lone-\\r file, edits during a parse', { timeout: 60_000 }, async () => {
  const text = '__global__ void a(int* p) {}\r__global__ void b(int* p) {}\r\n__global__ void c(int* p) {}\n';
  const document = await KernelDocument.open('/ws/cr.cu', text, 1, 'cuda-cpp');
  assert.deepEqual(document.kernels().kernels.map((k) => [k.name, k.nameRange.start.line, k.nameRange.start.character]), [['a', 0, 16], ['b', 1, 16], ['c', 2, 16]]);
  // Past the end of line 0 clamps to before its \r; the edit renames a kernel on line 1.
  document.applyChanges([{ range: { start: { line: 0, character: 500 }, end: { line: 0, character: 600 } }, text: ' /* x */' }, { range: { start: { line: 1, character: 16 }, end: { line: 1, character: 17 } }, text: 'bb' }], 2);
  await document.settled();
  assert.equal(document.content, '__global__ void a(int* p) {} /* x */\r__global__ void bb(int* p) {}\r\n__global__ void c(int* p) {}\n');
  assert.deepEqual(document.kernels().kernels.map((k) => k.name), ['a', 'bb', 'c']);
  document.dispose();

  // A large file parses in slices; changes made before it settles are in the result.
  const big = `${'int table[] = {' + '1, '.repeat(400_000) + '};\n'}__global__ void last(int* p) {}\n`;
  const opening = KernelDocument.create('/ws/big.cu', big, 1, 'cuda-cpp');
  opening.applyChanges([{ range: { start: { line: 1, character: 16 }, end: { line: 1, character: 20 } }, text: 'final' }], 2);
  await opening.settled();
  assert.deepEqual(opening.kernels().kernels.map((k) => k.name), ['final']);
  opening.applyChanges([{ text: '__global__ void whole(int* p) {}' }], 3);
  opening.dispose(); // mid-parse: stops at the next slice, frees then
  await opening.settled();
});

test('a parameter with a macro in front of its name keeps its real name; a kernel name that is not UTF-8 is reported', { timeout: 30_000 }, async () => {
  const { kernels } = await discover('/ws/m.cu', '#define KP_RESTRICT __restrict__\n__global__ void add(const float* KP_RESTRICT in, float* KP_RESTRICT out, int n) {}\n');
  assert.deepEqual(kernels[0].params.map((p) => [p.name, p.type, p.pointer, p.restrict]), [
    ['in', 'const float* KP_RESTRICT', true, true],
    ['out', 'float* KP_RESTRICT', true, true],
    ['n', 'int', false, false],
  ]);
  const garbled = await discover('/ws/u.cu', Buffer.from('__global__ void k\xff\xfeq(float* p) {}\n__global__ void fine(float* p) {}\n', 'latin1').toString('utf8'));
  assert.deepEqual(garbled.kernels.map((k) => k.name), ['fine'], 'not listed as `q`');
  assert.equal(garbled.problems.length, 1);
  assert.match(garbled.problems[0].message, /not valid UTF-8 in its signature/);
  assert.equal(garbled.problems[0].range.start.line, 0);
});

test('binary content without NUL bytes (not UTF-8) is not analysed; a stray Latin-1 byte is fine', () => {
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = 0x80 + ((i * 37) % 0x7f);
  assert.match(unreadableReason(bytes.toString('utf8')) ?? '', /not UTF-8 text/);
  assert.equal(unreadableReason(Buffer.from('// caf\xe9\n__global__ void k() {}\n', 'latin1').toString('utf8')), undefined);
});
