// Test code that must load production modules the way production does: as an esbuild CommonJS bundle.
//
// Why not a plain import: execa 9 is ESM-only, and under `node --import ./scripts/ts.mjs` a .ts file of this (CommonJS)
// package is loaded as CJS; tsx then converts execa's ESM to CJS and resolves its dependencies with
// `require` conditions, which unicorn-magic does not export (ERR_PACKAGE_PATH_NOT_EXPORTED). The shipped
// CLI/server are esbuild bundles (scripts/build.mjs); this bundles an entry the same way, with the
// tree-sitter wasm files beside it as the build puts them.
import { buildSync } from 'esbuild';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleOptions, WASM_FILES } from '../scripts/esbuild-options.mjs';


/** Bundles `entry` into a fresh temp folder and returns the bundle's path. */
export function bundleForTest(entry: string, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kp-bundle-${name}-`));
  const outfile = join(dir, `${name}.cjs`);
  buildSync({
    entryPoints: [entry],
    outfile,
    ...bundleOptions,
    mainFields: ['main', 'module'],
    conditions: ['require', 'node'],
    logLevel: 'error',
  });
  for (const file of WASM_FILES) copyFileSync(require.resolve(file), join(dir, file.split('/')[1]));
  return outfile;
}
