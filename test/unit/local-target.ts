// The real LocalTarget for tests that spawn nvcc/c++filt.
//
// Why not a plain import: execa 9 is ESM-only, and under `node --import tsx` a .ts file of this (CommonJS)
// package is loaded as CJS; tsx then converts execa's ESM to CJS and resolves its dependencies with
// `require` conditions, which unicorn-magic does not export (ERR_PACKAGE_PATH_NOT_EXPORTED).
// The shipped CLI/server are esbuild bundles (scripts/build.mjs), so this bundles local.ts the same
// way and loads that: the code under test is the production LocalTarget, built as production builds it.
import { buildSync } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../../server/src/targets/target';

let cached: (new () => Target) | undefined;

export function localTarget(): Target {
  if (!cached) {
    const outfile = join(mkdtempSync(join(tmpdir(), 'kp-local-target-')), 'local.cjs');
    buildSync({
      entryPoints: [join(__dirname, '../../server/src/targets/local.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      mainFields: ['main', 'module'],
      conditions: ['require', 'node'],
      logLevel: 'error',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = (require(outfile) as { LocalTarget: new () => Target }).LocalTarget;
  }
  return new cached();
}
