// Differential test of incremental sync: a document edited through many small didChange notifications must
// answer exactly as the same text opened fresh (symbols with their ranges and details, lenses, hovers with
// launch-site lines). Exercises the server's incremental re-parse and any per-node caching of discovery results
// (lines shifted by edits above, nodes inside namespaces, extern "C" blocks and #if 0). Edits keep the code
// syntactically valid, so a fresh parse is a fair oracle.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import type { DocumentSymbol, MarkupContent, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { applyChange, LspClient, uriOf } from './client';
import { tempDir, writeTemp } from './fixtures';

const dir = tempDir('kp-lsp-incr-');
after(() => rmSync(dir, { recursive: true, force: true }));

function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function kernel(name: string, k: number): string[] {
  switch (k % 4) {
    case 0:
      return [`__global__ void ${name}(float* out, const float* in, int n) {`, '  int i = blockIdx.x * blockDim.x + threadIdx.x;', `  if (i < n) out[i] = in[i] * ${k}.0f;`, '}'];
    case 1:
      return ['template <typename T, int BLOCK = 128>', `__global__ void __launch_bounds__(BLOCK) ${name}(const T* __restrict__ in, T* out, int n) {`, '  __shared__ T tile[BLOCK];', '  tile[threadIdx.x] = in[threadIdx.x];', '  __syncthreads();', '  out[0] = tile[0];', '}'];
    case 2:
      return [`static __global__ void ${name}(`, '    int* flags,', '    int n) {', '  if (threadIdx.x < n) flags[threadIdx.x] = 1;', '}'];
    default:
      return ['/* a block comment', ` * __global__ void decoy_${name}(int* p) {}`, ' */', `__global__ void ${name}(double* x) { x[threadIdx.x] += 1.0; }`];
  }
}

function source(): string {
  const lines = ['// Differential incremental-sync fixture.', '#include <cuda_runtime.h>', ''];
  let k = 0;
  const emit = (prefix = '') => {
    const name = `k${k}`;
    lines.push(...kernel(name, k++).map((l) => prefix + l), '');
  };
  for (let i = 0; i < 4; i++) emit();
  lines.push('namespace outer {', 'namespace inner {', '');
  for (let i = 0; i < 6; i++) emit('  ');
  lines.push('}  // namespace inner', '');
  for (let i = 0; i < 4; i++) emit();
  lines.push('}  // namespace outer', '', 'extern "C" {', '');
  for (let i = 0; i < 3; i++) emit();
  lines.push('}', '', '#if 0');
  emit();
  lines.push('#endif', '');
  for (let i = 0; i < 4; i++) emit();
  lines.push('void launch_all(float* out, const float* in, double* x, int* flags, int n) {');
  lines.push('  k0<<<1, 128>>>(out, in, n);', '  k1<float><<<1, 128>>>(in, out, n);', '  outer::inner::k4<<<2, 64>>>(out, in, n);', '  outer::inner::k5<float, 64><<<1, 64, 0>>>(in, out, n);');
  lines.push('  k14<<<1, 32>>>(flags, n);', '  k22<<<dim3(1), dim3(32)>>>(x);', '}', '');
  return lines.join('\n');
}

/** A random edit that keeps the text valid C++: whitespace, comments, blank lines, renames, duplicated kernels. */
function randomEdit(text: string, random: () => number, step: number): TextDocumentContentChangeEvent {
  const lines = text.split('\n');
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const line = Math.floor(random() * lines.length);
  const at = (l: number, c: number) => ({ start: { line: l, character: c }, end: { line: l, character: c } });
  const inBlockComment = (l: number) => {
    const before = lines.slice(0, l).join('\n');
    return before.lastIndexOf('/*') > before.lastIndexOf('*/');
  };
  const r = random();
  if (r < 0.25) return { range: at(line, lines[line].length), text: '\n' }; // Enter at the end of a line
  if (r < 0.4) return { range: at(line, 0), text: ' ' }; // indent
  if (r < 0.5 && !inBlockComment(line)) return { range: at(line, 0), text: `// note ${step}\n` };
  if (r < 0.6) {
    const blank = lines.map((l, i) => (l === '' && i + 1 < lines.length ? i : -1)).filter((i) => i >= 0);
    const l = pick(blank);
    return { range: { start: { line: l, character: 0 }, end: { line: l + 1, character: 0 } }, text: '' }; // delete a blank line
  }
  if (r < 0.75) {
    // Rename a kernel at its definition (launch sites then no longer resolve to it, which fresh parsing agrees with).
    const heads = lines.map((l, i) => (l.includes('__global__') && /\b(k\d+\w*)\(/.test(l) && !inBlockComment(i) ? i : -1)).filter((i) => i >= 0);
    const i = pick(heads);
    const m = /\b(k\d+\w*)\(/.exec(lines[i]);
    if (m) return { range: at(i, m.index + m[1].length), text: 'r' };
  }
  if (r < 0.85) {
    // Type inside a body: after an opening brace at the end of a line.
    const bodies = lines.map((l, i) => (l.endsWith('{') && !l.startsWith('namespace') && !l.startsWith('extern') ? i : -1)).filter((i) => i >= 0);
    const l = pick(bodies);
    return { range: at(l, lines[l].length), text: `\n  int v${step} = ${step};` };
  }
  // Paste a new kernel before a top-level kernel or at the end.
  const tops = lines.map((l, i) => (l.startsWith('__global__') && !inBlockComment(i) ? i : -1)).filter((i) => i >= 0);
  const l = tops.length && random() < 0.7 ? pick(tops) : lines.length - 1;
  return { range: at(l, 0), text: kernel(`pasted_${step}`, step).join('\n') + '\n\n' };
}

interface Snapshot {
  symbols: { name: string; detail?: string; range: unknown; selectionRange: unknown }[];
  lensRanges: unknown[];
  hovers: string[];
}

async function snapshot(client: LspClient, uri: string): Promise<Snapshot> {
  const symbols = ((await client.symbols(uri)) ?? []) as DocumentSymbol[];
  const lenses = (await client.lenses(uri)) ?? [];
  const hovers: string[] = [];
  for (const s of symbols) {
    const hover = await client.hover(uri, s.selectionRange.start);
    hovers.push(hover ? (hover.contents as MarkupContent).value : '(none)');
  }
  return {
    symbols: symbols.map((s) => ({ name: s.name, detail: s.detail, range: s.range, selectionRange: s.selectionRange })),
    lensRanges: lenses.map((l) => l.range),
    hovers,
  };
}

test('80 random valid edits through didChange answer exactly like a fresh open of the same text', { timeout: 120_000 }, async (t) => {
  let text = source();
  const uri = uriOf(writeTemp(dir, 'edited.cu', text));
  const client = await LspClient.start({ root: dir, settings: { check: { onOpen: false, onSave: false } } });
  try {
    await client.open(uri, 'cuda-cpp', text);
    const initial = await snapshot(client, uri);
    assert.equal(initial.symbols.length, 21, `kernels in the fixture: ${initial.symbols.map((s) => s.name).join(', ')}`);
    assert.ok(initial.symbols.some((s) => s.name === 'outer::inner::k4'));
    const random = rng(20261121);
    for (let step = 1; step <= 80; step++) {
      const change = randomEdit(text, random, step);
      text = applyChange(text, change);
      await client.change(uri, [change]);
      if (step % 4 !== 0 && step !== 80) continue;
      const freshUri = uriOf(writeTemp(dir, `fresh_${step}.cu`, text));
      await client.open(freshUri, 'cuda-cpp', text);
      const [edited, fresh] = [await snapshot(client, uri), await snapshot(client, freshUri)];
      await client.close(freshUri);
      // Details and hovers do not mention the URI, so the two documents must agree to the character.
      assert.deepEqual(edited, fresh, `after edit ${step} (${JSON.stringify(change)}), the edited document differs from a fresh open`);
    }
  } catch (error) {
    t.diagnostic(client.transcript());
    throw error;
  } finally {
    await client.dispose();
  }
});
