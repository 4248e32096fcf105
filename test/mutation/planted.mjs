// Issue 15's nine planted bugs, replayed: `node test/mutation/planted.mjs`. Each bug is a text replacement in one
// decision module, applied while esbuild bundles the decision tests (the sources are never written), and the
// bundles run with node's test runner. A bug is caught when some test fails; the report lists which ones.
// The replacements are the bugs as the issue describes them, on today's code; one that no longer matches the
// source is reported as stale (the code moved: update its text).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleOptions } from '../../scripts/esbuild-options.mjs';
import { DECISION_TESTS } from './decision-tests.mjs';

const root = join(import.meta.dirname, '..', '..');

export const PLANTED = [
  { bug: 'the poison scan skips the last element', file: 'server/src/bench/elementwise.ts', from: 'for (let i = 0; i < candidate.length; i++) {\n    if (baseline[i] === b)', to: 'for (let i = 0; i < candidate.length - 1; i++) {\n    if (baseline[i] === b)' },
  { bug: 'one unwritten element is not counted by the written probe', file: 'server/src/derive/probes.ts', from: 'const bad = pure.find((o) => (o.unwritten ?? 0) > 0);', to: 'const bad = pure.find((o) => (o.unwritten ?? 0) > 1);' },
  { bug: 'a missing input checksum counts as unchanged', file: 'server/src/derive/probes.ts', from: 'return !digest?.before || !digest.after;', to: 'return false;' },
  { bug: 'no-aliasing no longer gates the verdict', file: 'server/src/derive/probes.ts', from: "return { name: 'no-aliasing', passed: false, gate: true, reason: `seed ${o.seed}", to: "return { name: 'no-aliasing', passed: false, gate: false, reason: `seed ${o.seed}" },
  { bug: "'faster' without the paired test's direction agreeing", file: 'server/src/derive/compare.ts', from: 'speedup >= 1 + minEffect && direction > 0', to: 'speedup >= 1 + minEffect' },
  { bug: 'an impossible baseline roofline no longer rejects', file: 'server/src/derive/verdict.ts', from: 'reasons.push(`the baseline itself measures', to: 'warnings.push(`the baseline itself measures' },
  { bug: 'the FP32 FLOP ceiling applied to bfloat16 kernels', file: 'server/src/derive/roofline.ts', from: "d === 'float16' || d === 'bfloat16'", to: "d === 'float16'" },
  { bug: "a hanging candidate becomes a job error instead of a 'runs' rejection", file: 'server/src/bench/crash.ts', from: "h.kind === 'timeout' || ", to: '' },
  { bug: 'a harness report followed by a non-zero exit is accepted', file: 'server/src/harness/run.ts', from: "end.kind !== 'end' || result.exitCode !== 0", to: "end.kind !== 'end'" },
  { bug: 'float64 poison 0xff changed to 0x00', file: 'server/src/harness/poison.ts', from: 'float64: 0xff,', to: 'float64: 0x00,' },
];

/** Bundles `test` with `plant` applied to its file, runs it, and returns the names of the failing tests. */
async function failingTests(test, plant) {
  const outfile = join(root, test.replace(/\.ts$/, '.planted.cjs'));
  const planter = {
    name: 'plant',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => (args.path === join(root, plant.file) ? { contents: readFileSync(args.path, 'utf8').replace(plant.from, plant.to), loader: 'ts' } : undefined));
    },
  };
  try {
    await build({ ...bundleOptions, entryPoints: [join(root, test)], outfile, mainFields: ['main', 'module'], conditions: ['require', 'node'], logLevel: 'error', plugins: [planter] });
    const run = spawnSync(process.execPath, ['--test-reporter=tap', outfile], { encoding: 'utf8', timeout: 120_000 });
    return [...run.stdout.matchAll(/^\s*not ok \d+ - (.+)$/gm)].map((m) => m[1]);
  } finally {
    rmSync(outfile, { force: true });
  }
}

let uncaught = 0;
for (const plant of PLANTED) {
  const source = readFileSync(join(root, plant.file), 'utf8');
  if (source.split(plant.from).length !== 2) {
    console.log(`- STALE ${plant.bug} (${plant.file}): its text is not in the source once`);
    uncaught++;
    continue;
  }
  const caughtBy = [];
  for (const test of DECISION_TESTS) for (const name of await failingTests(test, plant)) caughtBy.push(`${test}: ${name}`);
  if (!caughtBy.length) uncaught++;
  console.log(`- ${caughtBy.length ? 'caught' : 'NOT CAUGHT'}: ${plant.bug} (\`${plant.file}\`)`);
  for (const by of caughtBy) console.log(`  - ${by}`);
}
process.exitCode = uncaught ? 1 : 0;
