// Bundles the VS Code test suites to out/test/vscode/suite/ (index.js; restricted.js for Restricted Mode): CommonJS because the extension host
// require()s extensionTestsPath, and `vscode` external because the host provides it at run time.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

await build({
  entryPoints: [join(root, 'test/vscode/suite/index.ts'), join(root, 'test/vscode/suite/restricted.ts')],
  outdir: join(root, 'out/test/vscode/suite'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  sourcemap: 'inline',
  logLevel: 'warning',
});
console.log('built out/test/vscode/suite/index.js, restricted.js');
