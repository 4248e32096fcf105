// Lets the TypeScript sources load the C++ assets (.cu, .cuh) and prompt templates (.md) as text under tsx (scripts/ts.mjs), as the
// esbuild bundles do with their text loader (scripts/esbuild-options.mjs): tests and scripts run the sources.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS preload: require.extensions is CJS-only
const { readFileSync } = require('node:fs');
for (const ext of ['.cu', '.cuh', '.md', '.py']) {
  require.extensions[ext] = (module, filename) => {
    module.exports = readFileSync(filename, 'utf8');
  };
}
