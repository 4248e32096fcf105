// `node --import ./scripts/ts.mjs FILE.ts`: runs the TypeScript sources as the tests and scripts do — tsx, plus
// the C++ assets (.cu, .cuh) loaded as text, as the esbuild bundles load them.
import 'tsx';
import './text-assets.cjs';
