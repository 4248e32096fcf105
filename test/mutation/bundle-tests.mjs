// Stryker's buildCommand, run inside its sandbox once the sources are instrumented: bundles each decision test
// file with esbuild into a .cjs beside it (same folder, so `__dirname` and the paths tests build from it hold),
// and the TAP runner starts those with plain node. `npm run test:mutation` runs it in the project first too, so
// that the bundles (git-ignored) exist where Stryker's incremental mode looks for its test files. Each mutant runs its covering test files in fresh processes;
// without tsx transforming TypeScript in every one of them a test file costs about half the CPU.
import { build } from 'esbuild';
import { bundleOptions } from '../../scripts/esbuild-options.mjs';
import { DECISION_TESTS, bundleOf } from './decision-tests.mjs';

await Promise.all(
  DECISION_TESTS.map((test) =>
    // Dependencies are bundled too, resolved for require as test/bundle.ts does (the code imports jsonc-parser's
    // ESM build by path, which plain node cannot load from a CommonJS bundle).
    build({ ...bundleOptions, entryPoints: [test], outfile: bundleOf(test), mainFields: ['main', 'module'], conditions: ['require', 'node'], logLevel: 'error' }),
  ),
);
