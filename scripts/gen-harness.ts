// Writes a self-contained bundle of CUDA harness sources for every example and candidate in examples/cuda/,
// to be built and run on a GPU machine that may have no node: only nvcc, bash and (for the summary) python3.
//   node --import ./scripts/ts.mjs scripts/gen-harness.ts OUTDIR
// Bundle layout:
//   OUTDIR/run.sh                     builds everything with nvcc, runs ceilings/check/time, saves JSON (bench/gpu-smoke/run.sh)
//   OUTDIR/summarize.py               compares each variant's outputs with the baseline's, prints a table
//   OUTDIR/manifest.tsv               one line per harness: id, example, variant, category, sizes, tolerance, roofline
//   OUTDIR/runtime/kp_runtime.{cu,cuh}
//   OUTDIR/src/<example>/...          a copy of examples/cuda (user files unchanged)
//   OUTDIR/harness/<example>/<variant>/harness.cu (+ kp_runtime.cuh), #including ../../../src/<example>/<file>
// The includes are relative, so the bundle can be copied anywhere. Results and build outputs of an earlier
// run (OUTDIR/results, OUTDIR/build) are left alone.
import { chmodSync, copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { generateCudaHarness } from '../server/src/harness/cuda/generate';
import { RUNTIME_HEADER, RUNTIME_HEADER_NAME, RUNTIME_SOURCE, RUNTIME_SOURCE_NAME } from '../server/src/harness/cuda/runtime';
import { defaultBytesExpr, toleranceFor } from '../server/src/benchspec/defaults';
import { evaluate } from '../server/src/benchspec/expr';
import type { BenchSpec } from '../server/src/benchspec/model';

const repo = resolve(__dirname, '..');
const examples = join(repo, 'examples/cuda');

function main(): void {
  const outArg = process.argv[2];
  if (!outArg) {
    console.error('usage: node --import ./scripts/ts.mjs scripts/gen-harness.ts OUTDIR');
    process.exit(2);
  }
  const out = resolve(outArg);
  for (const part of ['harness', 'src', 'runtime', 'manifest.tsv']) rmSync(join(out, part), { recursive: true, force: true });
  mkdirSync(join(out, 'runtime'), { recursive: true });
  writeFileSync(join(out, 'runtime', RUNTIME_HEADER_NAME), RUNTIME_HEADER);
  writeFileSync(join(out, 'runtime', RUNTIME_SOURCE_NAME), RUNTIME_SOURCE);
  cpSync(examples, join(out, 'src'), { recursive: true });
  for (const file of ['run.sh', 'summarize.py']) {
    copyFileSync(join(repo, 'bench/gpu-smoke', file), join(out, file));
    chmodSync(join(out, file), 0o755);
  }

  const header = ['id', 'example', 'variant', 'category', 'sweep_args', 'rtol', 'atol', 'bytes', 'flops', 'outputs'];
  const rows: string[][] = [];
  for (const example of readdirSync(examples, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    const spec = JSON.parse(readFileSync(join(examples, example, `${example}.spec.json`), 'utf8')) as BenchSpec;
    const candidates = readdirSync(join(examples, example, 'candidates')).filter((f) => f.endsWith('.cu')).sort();
    for (const file of [`${example}.cu`, ...candidates.map((c) => `candidates/${c}`)]) {
      const variant = file === `${example}.cu` ? 'baseline' : file.replace(/^candidates\//, '').replace(/\.cu$/, '');
      const id = `${example}/${variant}`;
      const harnessDir = join(out, 'harness', example, variant);
      const userCopy = join(out, 'src', example, file);
      mkdirSync(harnessDir, { recursive: true });
      const { source } = generateCudaHarness(spec, userCopy, spec.kernel, { includeAs: relative(harnessDir, userCopy) });
      writeFileSync(join(harnessDir, 'harness.cu'), source);
      writeFileSync(join(harnessDir, RUNTIME_HEADER_NAME), RUNTIME_HEADER);
      rows.push([id, example, variant, categoryOf(variant), sweepArgs(spec), ...tolerance(spec), ...roofline(spec), outputsOf(spec)]);
    }
  }
  writeFileSync(join(out, 'manifest.tsv'), [header, ...rows].map((r) => r.join('\t')).join('\n') + '\n');
  console.log(`wrote ${rows.length} harnesses to ${out}; on the GPU machine: bash ${join(relative(process.cwd(), out) || '.', 'run.sh')} RESULTS_DIR`);
}

/** What the candidate is for, from its file name: baseline and fast_ must pass the gate, the others must fail it. */
function categoryOf(variant: string): string {
  if (variant === 'baseline') return 'baseline';
  const prefix = /^(fast|wrong|partial|mutate|zeros|sweep)_/.exec(variant);
  return prefix ? prefix[1] : 'other';
}

/** `--size` arguments for the spec's last sweep point (usually the odd, non-square one). */
function sweepArgs(spec: BenchSpec): string {
  const point = spec.sweep?.[spec.sweep.length - 1];
  return point ? Object.entries(point).map(([k, v]) => `--size ${k}=${v}`).join(' ') : '-';
}

function tolerance(spec: BenchSpec): [string, string] {
  const output = spec.args.find((a) => a.role === 'output' || a.role === 'inout');
  const t = toleranceFor(spec, output?.dtype ?? 'float32');
  return [String(t.rtol), String(t.atol)];
}

function roofline(spec: BenchSpec): [string, string] {
  const bytes = spec.roofline?.bytes ?? defaultBytesExpr(spec.args);
  const value = (e: string | undefined) => (e ? String(evaluate(e, spec.sizes)) : '-');
  return [value(bytes), value(spec.roofline?.flops)];
}

function outputsOf(spec: BenchSpec): string {
  return spec.args.filter((a) => a.role === 'output' || a.role === 'inout').map((a) => `${a.name}:${a.dtype}`).join(',');
}

main();
