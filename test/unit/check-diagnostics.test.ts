// Compiler output recorded from real nvcc 13.0 / gcc 12 runs on small broken files
// (test/fixtures/nvcc-errors/record.sh; the sources are in src/). Lines and columns are 0-based.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { displayColumnToIndex, mapExcerptColumn, parseCompilerOutput } from '../../server/src/check/diagnostics';
import type { CompilerDiagnostic } from '../../server/src/check/types';

const dir = join(__dirname, '../fixtures/nvcc-errors');
const src = join(dir, 'src');
const MAIN = '/work/project/main.cu';
const readLine = (file: string, line: number) => {
  try {
    return readFileSync(file, 'utf8').split('\n')[line];
  } catch {
    return undefined;
  }
};
const parse = (name: string, withSource = true) =>
  parseCompilerOutput(readFileSync(join(dir, name), 'utf8'), { mainFile: MAIN, cwd: src, sourceLine: withSource ? readLine : undefined });
/** [file, line, column, severity, code, message] with the file shortened to its name. */
const brief = (d: CompilerDiagnostic) => [basename(d.file), d.line, d.column, d.severity, d.code, d.message];

test('front end: errors and a numbered warning, columns from the caret line', () => {
  assert.deepEqual(parse('frontend.txt').map(brief), [
    ['broken.cu', 3, 11, 'error', undefined, 'identifier "undefined_thing" is undefined'],
    ['broken.cu', 5, 21, 'error', undefined, 'expected an expression'],
    ['broken.cu', 2, 6, 'warning', '177-D', 'variable "unused_var" was declared but never referenced'],
  ]);
  assert.ok(parse('frontend.txt').every((d) => d.file === join(src, 'broken.cu') && d.source === 'nvcc'));
});

test('without the source, the caret still gives the column for plain lines', () => {
  assert.deepEqual(parse('frontend.txt', false).map((d) => d.column), [11, 21, 6]);
});

test('tabs, squeezed whitespace and UTF-8 in the excerpt map back onto the real line', () => {
  assert.deepEqual(parse('tabs-utf8.txt').map(brief), [
    ['tabs.cu', 6, 1, 'warning', '-Wcpp', '#warning "careful"'],
    ['tabs.cu', 2, 9, 'error', undefined, 'identifier "missing_a" is undefined'],
    ['tabs.cu', 4, 239, 'error', undefined, 'identifier "missing_b" is undefined'],
    ['tabs.cu', 5, 41, 'error', undefined, 'identifier "missing_c" is undefined'],
    // `p[3] =\t\tmissing_d;`: the excerpt shows one space for the two tabs.
    ['tabs.cu', 7, 10, 'error', undefined, 'identifier "missing_d" is undefined'],
  ]);
  for (const d of parse('tabs-utf8.txt').slice(1)) {
    const line = readLine(d.file, d.line) ?? '';
    assert.match(line.slice(d.column), /^missing_[a-d]/, `column of ${d.message}`);
  }
});

test('notes attach to their error with exact columns, even though the excerpt is preprocessed', () => {
  const [first, second] = parse('overload-notes.txt');
  assert.deepEqual(brief(first), ['overload.cu', 3, 9, 'error', undefined, 'no instance of overloaded function "f" matches the argument list\nargument types are: (const char [4])']);
  // The excerpt reads `__attribute__((device)) int f(float a)`; the file says `__device__ int f(float a)`.
  assert.deepEqual(first.related, [
    { file: join(src, 'overload.cu'), line: 1, column: 15, message: 'function "f(float)" does not match because argument #1 does not match parameter' },
    { file: join(src, 'overload.cu'), line: 0, column: 15, message: 'number of parameters of function "f(int, int)" does not match the call' },
  ]);
  assert.deepEqual(brief(second), ['overload.cu', 4, 9, 'error', undefined, 'identifier "g" is undefined']);
});

test('template errors carry the instantiation point', () => {
  const [d] = parse('template.txt');
  assert.deepEqual(brief(d), ['template_err.cu', 2, 9, 'error', undefined, 'name followed by "::" must be a class or namespace name\ndetected during instantiation of "void k(T *) [with T=float]" at line 5']);
  assert.deepEqual(d.related?.map((r) => [basename(r.file), r.line]), [['template_err.cu', 4]]);
});

test('errors in a header point at the header', () => {
  assert.deepEqual(parse('header.txt').map(brief), [['header.cuh', 1, 17, 'error', undefined, 'identifier "nope" is undefined']]);
});

test('messages without an excerpt have no column', () => {
  const ds = parse('host-device.txt');
  assert.equal(ds.length, 6);
  assert.deepEqual(ds.map((d) => [d.line, d.column]), [[3, undefined], [3, undefined], [3, undefined], [3, undefined], [4, undefined], [4, undefined]]);
  assert.match(ds[0].message, /^calling a __host__ function\(.*\) from a __global__ function\("k"\) is not allowed$/);
});

test('gcc preprocessor: 1-based display columns become 0-based indexes (a tab is 8 cells)', () => {
  assert.deepEqual(parse('gcc-include.txt').map(brief), [['include_missing.cu', 1, 9, 'error', undefined, 'does_not_exist.cuh: No such file or directory']]);
  assert.deepEqual(parse('gcc-error-directive.txt').map(brief), [['error_directive.cu', 1, 1, 'error', undefined, '#error "this file is not meant to compile"']]);
  // `\t#include "nope.cuh"`: gcc says column 18, which is index 10 (the opening quote).
  assert.deepEqual(parse('gcc-tab-include.txt').map(brief), [['tab_include.cu', 1, 10, 'error', undefined, 'nope.cuh: No such file or directory']]);
  assert.equal(parse('gcc-tab-include.txt', false)[0].column, 17, 'without the source: display column - 1');
});

test('ptxas: no source location, so the checked file; the entry is kept as the symbol', () => {
  assert.deepEqual(parse('ptxas-smem.txt'), [
    { file: MAIN, line: 0, severity: 'error', message: "Entry function '_Z3bigPf' uses too much shared data (0x40000 bytes, 0xc000 max)", source: 'ptxas', symbol: '_Z3bigPf' },
  ]);
  assert.deepEqual(parse('ptxas-warnings.txt').map((d) => [d.severity, d.symbol]), [['warning', '_Z7boundedPKfPfi'], ['warning', '_Z7boundedPKfPfi'], ['warning', '_Z6spillyPKfPfii']]);
});

test('ptxas errors in inline PTX name the PTX line; the trailing "aborted" line is dropped', () => {
  assert.deepEqual(parse('ptxas-asm.txt').map(brief), [
    ['main.cu', 0, undefined, 'error', undefined, "Arguments mismatch for instruction 'mov' (PTX line 26)"],
    ['main.cu', 0, undefined, 'error', undefined, "Unknown symbol '%nonexistent_reg' (PTX line 26)"],
  ]);
});

test('driver failures: nvcc fatal and the host compiler without a location', () => {
  assert.deepEqual(parse('nvcc-fatal-arch.txt').map(brief), [['main.cu', 0, undefined, 'error', undefined, "Unsupported gpu architecture 'sm_70'"]]);
  assert.deepEqual(parse('nvcc-fatal-option.txt').map(brief), [['main.cu', 0, undefined, 'error', undefined, "Unknown option '--bogus-flag'"]]);
  assert.deepEqual(parse('missing-input.txt').map(brief), [['main.cu', 0, undefined, 'error', undefined, 'cc1plus: does_not_exist.cu: No such file or directory']]);
});

test('column helpers', () => {
  assert.equal(mapExcerptColumn('  p[0] = missing;', 9, '\t\tp[0] =  missing;'), 10);
  assert.equal(mapExcerptColumn('__attribute__((global)) void k(int x)', 29, '__global__ void k(int x)'), 16);
  assert.equal(mapExcerptColumn('a + b', 4, 'completely different'), undefined);
  assert.equal(displayColumnToIndex('\t\tx', 17), 2);
  assert.equal(displayColumnToIndex('ab\tx', 9), 3);
  assert.equal(displayColumnToIndex('abc', 2), 1);
});
