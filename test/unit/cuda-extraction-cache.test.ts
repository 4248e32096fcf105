// The CUDA extraction cache across document versions: an edit re-extracts only the declaration it touched, also
// inside namespaces and extern "C" blocks, and every version answers exactly as a fresh extraction of its text.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Parser } from 'web-tree-sitter';
import { CudaExtractionCache, findCudaKernels } from '../../server/src/kernels/cuda/kernels';
import type { Kernel } from '../../server/src/kernels/model';
import { createParser } from '../../server/src/kernels/parsers';

let parser: Parser;
before(async () => {
  parser = await createParser('cuda');
});

/** Parses `source` afresh and extracts with `cache` (a new one: a fresh extraction); frees the tree. */
function extract(source: string, cache = new CudaExtractionCache()): Kernel[] {
  const tree = parser.parse(source);
  assert.ok(tree, 'tree-sitter returned no tree');
  try {
    return findCudaKernels(tree.rootNode, 'inline.cu', cache);
  } finally {
    tree.delete();
  }
}

/** Extracts each version in turn with one cache, checking every one against a fresh extraction; the last's kernels. */
function extractVersions(cache: CudaExtractionCache, ...versions: string[]): Kernel[] {
  let kernels: Kernel[] = [];
  for (const [i, version] of versions.entries()) {
    kernels = extract(version, cache);
    assert.deepEqual(kernels, extract(version), `version ${i}: the cached extraction differs from a fresh one`);
  }
  return kernels;
}

/** `text` with `from` (which must occur once) replaced by `to`. */
function edit(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `"${from}" should occur once`);
  return text.replace(from, to);
}

const kernel = (name: string) => [`__global__ void ${name}(float* x, int n) {`, `  if (threadIdx.x < n) x[threadIdx.x] = 1.0f;`, '}', ''];

/** Kernels in a namespace, a nested namespace, an extern "C" block inside it and #if 0; a macro-headed kernel; launches. */
function source(): string {
  return [
    '#include <cuda_runtime.h>',
    '#define LAUNCH_BOUNDS(n) __launch_bounds__(n)',
    '',
    'namespace ops {',
    '',
    ...['a', 'b', 'c', 'd', 'e', 'f'].flatMap(kernel),
    'namespace detail {',
    ...kernel('g'),
    '/* bounded */ __global__ void LAUNCH_BOUNDS(64)',
    'h(float* x) { x[0] = 2.0f; }',
    '}  // namespace detail',
    '',
    'extern "C" {',
    ...kernel('i'),
    '}',
    '',
    '#if 0',
    ...kernel('dead'),
    '#endif',
    '',
    'void launch(float* x, int n) {',
    '  a<<<1, 32>>>(x, n);',
    '  detail::g<<<1, 32>>>(x, n);',
    '}',
    '',
    '}  // namespace ops',
    '',
  ].join('\n');
}

test('the fixture has every kind of unit', () => {
  const kernels = extract(source());
  assert.deepEqual(kernels.map((k) => k.qualifiedName), ['ops::a', 'ops::b', 'ops::c', 'ops::d', 'ops::e', 'ops::f', 'ops::detail::g', 'ops::detail::h', 'ops::i']);
  assert.deepEqual(kernels.map((k) => k.launchSites.length), [1, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.equal(kernels.find((k) => k.name === 'h')?.signature, '__global__ void LAUNCH_BOUNDS(64) h(float* x)');
});

test('an edit inside a namespace re-extracts only the declaration it touched', () => {
  const cache = new CudaExtractionCache();
  const text = source();
  extract(text, cache);
  assert.deepEqual(cache.stats, { reused: 0, extracted: 9 });

  const keystroke = edit(text, '__global__ void c(float* x, int n) {', '__global__ void c(float* x, int n) {\n  int extra = 0;');
  extractVersions(cache, keystroke);
  assert.deepEqual(cache.stats, { reused: 8, extracted: 1 }, 'a keystroke in ops::c');

  const parameter = edit(keystroke, 'h(float* x) {', 'h(float* x, int m) {');
  assert.deepEqual(extractVersions(cache, parameter).find((k) => k.name === 'h')?.params.map((p) => p.name), ['x', 'm']);
  assert.deepEqual(cache.stats, { reused: 8, extracted: 1 }, 'a parameter added to ops::detail::h');

  const blankLines = edit(parameter, 'extern "C" {\n', 'extern "C" {\n\n\n');
  const shifted = extractVersions(cache, blankLines);
  assert.deepEqual(cache.stats, { reused: 9, extracted: 0 }, 'blank lines in the extern "C" block only shift what follows');
  assert.deepEqual(shifted.find((k) => k.name === 'i')?.attributes, ['extern "C"', '__global__']);
});

test('an edit that renames a namespace changes every qualified name inside it', () => {
  const cache = new CudaExtractionCache();
  const text = source();
  extract(text, cache);

  const outer = edit(text, 'namespace ops {', 'namespace ops2 {');
  const renamed = extractVersions(cache, outer);
  assert.deepEqual(cache.stats, { reused: 0, extracted: 9 });
  assert.deepEqual(renamed.map((k) => k.qualifiedName), ['ops2::a', 'ops2::b', 'ops2::c', 'ops2::d', 'ops2::e', 'ops2::f', 'ops2::detail::g', 'ops2::detail::h', 'ops2::i']);

  const inner = edit(outer, 'namespace detail {', 'namespace impl {');
  assert.deepEqual(extractVersions(cache, inner).filter((k) => k.qualifiedName.startsWith('ops2::impl::')).map((k) => k.name), ['g', 'h']);
  assert.deepEqual(cache.stats, { reused: 7, extracted: 2 }, 'only the inner namespace changed');
});

test('an unchanged declaration whose context changed is extracted again', () => {
  const cache = new CudaExtractionCache();
  const text = source();
  extract(text, cache);

  // Unchanged text, changed linkage: the kernel in the block loses `extern "C"`.
  const linkage = edit(text, 'extern "C" {', 'extern "C++" {');
  assert.deepEqual(extractVersions(cache, linkage).find((k) => k.name === 'i')?.attributes, ['__global__']);

  // The #if 0 block comes alive.
  assert.ok(extractVersions(cache, edit(linkage, '#if 0', '#if 1')).some((k) => k.qualifiedName === 'ops::dead'));

  // The macro that makes m a kernel stops expanding to __global__.
  const macro = '#define KERNEL __global__\nnamespace ops {\nKERNEL void m(float* x) { x[0] = 3.0f; }\n}\n';
  assert.deepEqual(extractVersions(new CudaExtractionCache(), macro, edit(macro, '__global__', '__device__')), []);
});

test('a kernel whose head lies before its definition follows where the head is', () => {
  // `__global__ void LAUNCH_BOUNDS(64)` is a broken declaration before the definition `h(…) {…}`, and h's range
  // starts there: moving the head without changing either text must move the range.
  const cache = new CudaExtractionCache();
  const text = source();
  const apart = edit(text, 'LAUNCH_BOUNDS(64)\n', 'LAUNCH_BOUNDS(64)\n\n');
  const column = edit(apart, '/* bounded */', '/* moved right */');
  const kernels = extractVersions(cache, text, apart, column);
  const h = kernels.find((k) => k.name === 'h');
  assert.deepEqual(h?.range.start, { line: text.split('\n').findIndex((l) => l.includes('LAUNCH_BOUNDS(64)')), character: '/* moved right */ '.length });
});

test('a declaration with a syntax error is extracted afresh in every version', () => {
  // Error recovery looks past a node's text: these pairs (found by fuzzing, then minimised) hold the same text
  // parsed as another tree. A clean kernel definition, then an ERROR node:
  const clean = 'x{0{\n__global__ v() { x; }';
  const error = '""{#if 0\nk\nt<t<x[t{\n__global__ v() { x; }C"H';
  extractVersions(new CudaExtractionCache(), clean, error, clean);
  // The same template declaration, recovered as `typename*/l W` and as `typename W` (a missing type):
  const recovered = 'template<typename*/l W>\n__global__ o(c T{';
  const missing = 'e#include<c/*>#e\ntemplate<typename*/l W>\n__global__ o(c T{';
  extractVersions(new CudaExtractionCache(), recovered, missing, recovered);

  // So a kernel whose macro tree-sitter cannot parse costs a query pass per version, though its text is unchanged.
  const cache = new CudaExtractionCache();
  const macro = '#define KERNEL __global__\nKERNEL void m(float* x) { x[0] = 3.0f; }\n__global__ void k(float* x) {}\n';
  extractVersions(cache, macro, `${macro}\n`);
  assert.deepEqual(cache.stats, { reused: 1, extracted: 1 });
});
