// Sources and oracles shared by the LSP, Neovim and benchmark clients.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodeLens, DocumentSymbol, Range } from 'vscode-languageserver-protocol';

/** Three kernels (one templated, instantiated by its launch), every one compiled by nvcc -cubin. */
export const kernelsCu = `// KernelPilot LSP test fixture: plain, templated and launched kernels.
#include <cuda_runtime.h>

__global__ void vector_add(const float* __restrict__ a, const float* __restrict__ b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}

__global__ void scale(float* x, float alpha, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= alpha;
}

template <typename T>
__global__ void fill(T* x, T v, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = v;
}

void launch(float* a, float* b, float* c, int n) {
  vector_add<<<(n + 255) / 256, 256>>>(a, b, c, n);
  scale<<<(n + 255) / 256, 256>>>(c, 2.0f, n);
  fill<float><<<(n + 255) / 256, 256>>>(a, 0.0f, n);
}
`;

/** Two front-end errors at known 0-based lines (2 and 4), and a kernel that compiles. */
export const brokenCu = `// KernelPilot LSP test fixture: compile errors at known lines.
__global__ void bad(float* out, int n) {
  out[0] = undefined_thing;
  for (int i = 0; i < n; ++i) {
    out[i] = out[i] +;
  }
}

__global__ void good(float* out) { out[0] = 1.0f; }
`;
export const brokenLines = { undefinedThing: 2, danglingPlus: 4 };

export const tritonPy = `import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask) + tl.load(y_ptr + offsets, mask=mask), mask=mask)


def not_a_kernel(x_ptr, n):
    return x_ptr, n
`;

export function tempDir(prefix = 'kp-lsp-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export interface ExpectedSymbol {
  name: string;
  line: number;
  character: number;
}

/**
 * An oracle independent of tree-sitter: every `__global__ void NAME(` outside comments, with the name's
 * position. Good for the fixtures here, which keep one kernel head per line and no kernels in strings.
 */
export function expectedCudaKernels(text: string): ExpectedSymbol[] {
  const withoutComments = text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '));
  const out: ExpectedSymbol[] = [];
  const lines = withoutComments.split('\n');
  lines.forEach((line, index) => {
    for (const m of line.matchAll(/__global__\s+(?:__launch_bounds__\([^)]*\)\s+)?void\s+(\w+)\s*\(/g)) {
      out.push({ name: m[1], line: index, character: (m.index ?? 0) + m[0].indexOf(m[1], m[0].indexOf('void') + 4) });
    }
  });
  return out;
}

export function symbolSummary(symbols: DocumentSymbol[]): ExpectedSymbol[] {
  return symbols.map((s) => ({ name: s.name, line: s.selectionRange.start.line, character: s.selectionRange.start.character }));
}

/** Lenses must sit on the symbols' name tokens, one each: anything else is a stale lens. */
export function assertLensesMatchSymbols(lenses: CodeLens[], symbols: DocumentSymbol[], context: string): void {
  const key = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
  assert.deepEqual(
    lenses.map((l) => key(l.range)),
    symbols.map((s) => key(s.selectionRange)),
    `${context}: one lens per kernel, on its name (lenses ${JSON.stringify(lenses.map((l) => l.command?.title))})`,
  );
}

const VECTOR_ADD_EXAMPLE = join(__dirname, '../../examples/cuda/vector_add');
export const vectorAddCu = readFileSync(join(VECTOR_ADD_EXAMPLE, 'vector_add.cu'), 'utf8');

/** The stand-in GPU's size for optimize runs (KP_FAKE_N of fake-gpu-server.ts). */
export const OPTIMIZE_N = 4096;

/** A model's fast answer for vector_add: the stand-in times a candidate marked `// stand-in: fast` faster. */
export const FAST_VECTOR_ADD = `__global__ void vector_add(const float* a, const float* b, float* c, int n) {
  // stand-in: fast
  int stride = gridDim.x * blockDim.x;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) c[i] = a[i] + b[i];
}`;

/** A workspace `dir/name` with the example's vector_add.cu and its bench spec at the stand-in's size. */
export function optimizeWorkspace(dir: string, name: string): { root: string; file: string } {
  const root = join(dir, name);
  mkdirSync(join(root, '.kernelpilot', 'specs'), { recursive: true });
  const spec = JSON.parse(readFileSync(join(VECTOR_ADD_EXAMPLE, 'vector_add.spec.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, '.kernelpilot/specs/vector_add.json'), JSON.stringify({ ...spec, file: 'vector_add.cu', sizes: { n: OPTIMIZE_N }, sweep: [{ n: 1000 }] }, null, 2));
  return { root, file: writeTemp(root, 'vector_add.cu', vectorAddCu) };
}
