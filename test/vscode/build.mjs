// Bundles the VS Code test suites to out/test/vscode/suite/ (index.js; restricted.js for Restricted Mode; optimize.js
// for the optimize run; profile.js for the profile run): CommonJS because the extension host require()s extensionTestsPath, and `vscode` external
// because the host provides it at run time. Also the language server on the stand-in GPU (test/lsp/fake-gpu-server.ts)
// as out/test/vscode/fake-gpu/server.js, with the tree-sitter wasm files beside it, for the optimize run's extension.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleOptions, WASM_FILES } from '../../scripts/esbuild-options.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

await build({
  entryPoints: [join(root, 'test/vscode/suite/index.ts'), join(root, 'test/vscode/suite/restricted.ts'), join(root, 'test/vscode/suite/optimize.ts'), join(root, 'test/vscode/suite/profile.ts')],
  outdir: join(root, 'out/test/vscode/suite'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  sourcemap: 'inline',
  logLevel: 'warning',
});
const fakeGpu = join(root, 'out/test/vscode/fake-gpu');
mkdirSync(fakeGpu, { recursive: true });
await build({ ...bundleOptions, entryPoints: [join(root, 'test/lsp/fake-gpu-server.ts')], outfile: join(fakeGpu, 'server.js'), logLevel: 'warning' });
const require = createRequire(import.meta.url);
for (const file of WASM_FILES) copyFileSync(require.resolve(file), join(fakeGpu, file.split('/')[1]));
console.log('built out/test/vscode/suite/index.js, restricted.js, optimize.js, profile.js and out/test/vscode/fake-gpu/server.js');
