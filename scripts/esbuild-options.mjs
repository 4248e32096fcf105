// esbuild options every bundle shares: the shipped client/server/CLI (scripts/build.mjs) and the bundles tests
// load production code through (test/bundle.ts).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const bundleOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // web-tree-sitter's ESM build needs import.meta.url, which a CommonJS bundle lacks: bundle its CJS build.
  alias: { 'web-tree-sitter': require.resolve('web-tree-sitter') },
  // Imported as text: the harness runtime's C++ files (server/src/harness/cuda/runtime.ts) and the optimizer's
  // prompt templates (server/src/llm/prompts/*.md).
  loader: { '.cu': 'text', '.cuh': 'text', '.md': 'text', '.py': 'text' },
};

/** The tree-sitter wasm files, copied beside every bundle that parses. */
export const WASM_FILES = ['web-tree-sitter/web-tree-sitter.wasm', 'tree-sitter-cuda/tree-sitter-cuda.wasm', 'tree-sitter-python/tree-sitter-python.wasm'];
