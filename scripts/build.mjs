// Bundles client, server and CLI with esbuild into dist/ and copies the tree-sitter wasm files beside them.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundleOptions, WASM_FILES } from './esbuild-options.mjs';

const require = createRequire(import.meta.url);
const root = dirname(dirname(new URL(import.meta.url).pathname));
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

const common = { ...bundleOptions, sourcemap: true, logLevel: 'warning' };

await Promise.all([
  build({ ...common, entryPoints: [join(root, 'client/src/extension.ts')], outfile: join(dist, 'client.js'), external: ['vscode'] }),
  build({ ...common, entryPoints: [join(root, 'server/src/main.ts')], outfile: join(dist, 'server.js') }),
  build({ ...common, entryPoints: [join(root, 'server/src/cli.ts')], outfile: join(dist, 'cli.js'), banner: { js: '#!/usr/bin/env node' } }),
  // The optimize results panel's page, with Chart.js, for the webview (a browser, no Node).
  build({ entryPoints: [join(root, 'client/webview/results.ts')], outfile: join(dist, 'results-view.js'), bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: true, logLevel: 'warning' }),
]);
chmodSync(join(dist, 'cli.js'), 0o755);

for (const file of WASM_FILES) {
  copyFileSync(require.resolve(file), join(dist, file.split('/')[1]));
}
console.log('built dist/client.js, dist/server.js, dist/cli.js, dist/results-view.js');
