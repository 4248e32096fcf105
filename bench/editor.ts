// Editor latency through the real language server over stdio:
//   npm run bench:editor            (builds, then: node --import ./scripts/ts.mjs bench/editor.ts)
//   node --import ./scripts/ts.mjs bench/editor.ts [--edits N] [--profile] [--strict]
// Generates a 10 000-line .cu with 200 varied kernels, opens it in `dist/cli.js lsp --stdio` (static check
// off, so nvcc does not compete), sends incremental didChange edits (keystrokes in kernel bodies, now and then
// in a signature), each followed at once by documentSymbol and codeLens, and times didChange → each answer.
// Prints p50/p90/p99/max and writes bench/results/editor.json. Every answer is checked (kernel count and the
// edited kernel's name position), so a fast wrong answer fails the run (exit 1). --strict: exit 1 when p99
// misses the target too. --profile: the server runs with --cpu-prof; the hottest functions are printed.
// --dump FILE: only write the generated source. --breakdown: also replay the edits in-process on the engine
// (KernelDocument) and split each edit's cost into parse (applyChanges: tree edit + incremental re-parse),
// extract (kernels(): discovery over the tree) and JSON (symbols + lenses as the server serialises them).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DocumentSymbol, Position, TextDocumentContentChangeEvent } from 'vscode-languageserver-protocol';
import { KernelDocument } from '../server/src/kernels/document';
import { kernelSymbol, toLspRange } from '../server/src/lsp/convert';
import { applyChange, cliPath, LspClient, positionOf, repoRoot, uriOf } from '../test/lsp/client';
import { ServerCommand } from '../server/src/protocol/commands';

const TARGET_P99_MS = 30;
const KERNELS = 200;
const LINES = 10_000;

const { values: flags } = parseArgs({
  options: {
    edits: { type: 'string', default: '200' },
    profile: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    dump: { type: 'string' },
    breakdown: { type: 'boolean', default: false },
  },
});
const EDITS = Number(flags.edits);

/** A deterministic pseudo-random sequence, so every run edits the same places. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Kernel k's body line that edits type into: unique, so positionOf finds it whatever happened before. */
const bodyMarker = (k: number) => `float acc_${k} = 0.0f;`;
/** Kernel k's last parameter: signature edits append to its name. */
const paramMarker = (k: number) => `int n_${k}`;

function kernelSource(k: number, random: () => number): string[] {
  const lines: string[] = [];
  const kind = k % 5;
  if (k % 7 === 0) lines.push('/*', ` * Kernel ${k}: a block comment with a decoy`, ` * __global__ void not_a_kernel_${k}(float* x) {}`, ' */');
  else lines.push(`// kernel ${k}: ${['elementwise', 'reduction', 'stencil', 'tiled copy', 'scan'][kind]}`);
  const name = `kernel_${k}`;
  if (kind === 1) lines.push('template <typename T, int BLOCK = 256>', `__global__ void __launch_bounds__(BLOCK) ${name}(const T* __restrict__ in, T* __restrict__ out, ${paramMarker(k)}) {`);
  else if (kind === 3) lines.push('template <typename T>', `__global__ void ${name}(T* dst, const T* src, ${paramMarker(k)}) {`);
  else if (kind === 4) lines.push(`__global__ void __launch_bounds__(128, 2) ${name}(`, '    const float* __restrict__ in,', '    float* __restrict__ out,', `    ${paramMarker(k)}) {`);
  else lines.push(`__global__ void ${name}(const float* in, float* out, float alpha, ${paramMarker(k)}) {`);
  lines.push(`  ${bodyMarker(k)}`, '  int i = blockIdx.x * blockDim.x + threadIdx.x;');
  const bodyLines = 18 + Math.floor(random() * 14);
  for (let j = 0; j < bodyLines; j++) {
    const r = random();
    if (r < 0.15) lines.push(`  // step ${j}: accumulate`);
    else if (r < 0.3) lines.push(`  if (i + ${j} < n_${k}) {`, `    acc_${k} += ${j}.0f * (float)i;`, '  }');
    else if (r < 0.4) lines.push(`  for (int s = 0; s < ${j % 8 + 1}; ++s) acc_${k} += s;`);
    else lines.push(`  acc_${k} = acc_${k} * 0.5f + ${(j + 1) / 10};`);
  }
  lines.push(kind === 1 || kind === 3 ? `  if (i < n_${k}) ${kind === 1 ? 'out[i] = in[i]' : 'dst[i] = src[i]'} + T(acc_${k});` : `  if (i < n_${k}) out[i] = in[i] + acc_${k};`, '}', '');
  return lines;
}

function launchSource(k: number): string {
  const kind = k % 5;
  if (kind === 1) return `  kernel_${k}<float, 256><<<(n + 255) / 256, 256, 0, stream>>>(in, out, n);`;
  if (kind === 3) return `  kernel_${k}<float><<<grid, block>>>(out, in, n);`;
  if (kind === 4) return `  kernel_${k}<<<grid, 128>>>(in, out, n);`;
  return `  kernel_${k}<<<grid, block>>>(in, out, 2.0f, n);`;
}

function generate(): string {
  const random = rng(42);
  const chunks: string[][] = [];
  for (let k = 0; k < KERNELS; k++) {
    const chunk: string[] = [];
    if (k % 50 === 0) chunk.push(`namespace batch_${k / 50} {`, '');
    chunk.push(...kernelSource(k, random));
    if (k % 50 === 49) {
      chunk.push('void launch_batch(const float* in, float* out, int n, cudaStream_t stream) {', '  dim3 grid((n + 255) / 256), block(256);');
      for (let j = k - 49; j <= k; j++) chunk.push(launchSource(j));
      chunk.push('}', '', `}  // namespace batch_${(k - 49) / 50}`, '');
    }
    chunks.push(chunk);
  }
  const head = ['// Generated by bench/editor.ts: 200 kernels for the editor latency benchmark.', '#include <cuda_runtime.h>', '', '__device__ float helper(float x) { return x * x; }', ''];
  // Spread the remaining lines over the kernels as notes, so the file is exactly LINES long.
  let spare = LINES - head.length - chunks.reduce((n, c) => n + c.length, 0);
  if (spare < 0) throw new Error(`generated ${LINES - spare} lines, more than ${LINES}`);
  const lines = [...head];
  chunks.forEach((chunk, k) => {
    const notes = Math.floor(spare / (KERNELS - k));
    spare -= notes;
    for (let j = 0; j < notes; j++) lines.push(`// note ${k}.${j}: tuning, occupancy and memory coalescing for kernel_${k}`);
    lines.push(...chunk);
  });
  return lines.join('\n') + '\n';
}

/** Position of the first match of `pattern` (its group 1 when it has one) in `text`. */
function find(text: string, pattern: RegExp): Position {
  const m = pattern.exec(text);
  if (!m) throw new Error(`${pattern} not in the text`);
  const index = m.index + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
  const before = text.slice(0, index);
  return { line: before.split('\n').length - 1, character: index - (before.lastIndexOf('\n') + 1) };
}

/**
 * The edits, deterministic: mostly keystrokes in a kernel body (a space, or Enter), every tenth one typed into
 * a parameter name in a signature. `next(text)` gives the edit for the current text and the kernel it touches.
 */
function editSequence(): { next(text: string): { k: number; change: TextDocumentContentChangeEvent } } {
  const random = rng(7);
  const appended = new Map<number, string>(); // kernel → characters typed after its last parameter's name
  let e = 0;
  return {
    next(text) {
      const k = Math.floor(random() * KERNELS);
      const inSignature = e++ % 10 === 9;
      if (inSignature) {
        const marker = paramMarker(k) + (appended.get(k) ?? '');
        const at = find(text, new RegExp(`\\b${marker}\\b`));
        const position: Position = { line: at.line, character: at.character + marker.length };
        appended.set(k, (appended.get(k) ?? '') + 'x');
        return { k, change: { range: { start: position, end: position }, text: 'x' } };
      }
      const marker = bodyMarker(k);
      const at = positionOf(text, marker);
      const position: Position = { line: at.line, character: at.character + marker.length };
      return { k, change: { range: { start: position, end: position }, text: random() < 0.8 ? ' ' : '\n  ' } };
    },
  };
}

interface Sample {
  symbols: number;
  lenses: number;
  both: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1]), mean: round(values.reduce((a, b) => a + b, 0) / values.length) };
}

interface ProfileRow {
  fn: string;
  ms: number;
  percent: number;
}

/**
 * Self and inclusive (self + callees) time per function from a V8 .cpuprofile, hottest first. Inclusive time
 * attributes the anonymous wasm frames to the JS function that called into the parser.
 */
function hottest(profilePath: string, top = 25): { self: ProfileRow[]; inclusive: ProfileRow[]; busyMs: number } {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as {
    nodes: { id: number; children?: number[]; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const key = (id: number) => {
    const frame = byId.get(id)?.callFrame;
    return frame ? `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-1)[0]}:${frame.lineNumber + 1}` : '?';
  };
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const leaf = key(id);
    if (leaf.startsWith('(idle)') || leaf.startsWith('(program)')) return;
    busy += dt;
    self.set(leaf, (self.get(leaf) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = key(at);
      if (!seen.has(k)) inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
      seen.add(k);
    }
  });
  const rows = (map: Map<string, number>, filter: (k: string) => boolean) =>
    [...map.entries()]
      .filter(([k]) => filter(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => ({ fn, ms: Math.round(ms), percent: Math.round((ms / busy) * 1000) / 10 }));
  const jsOnly = (k: string) => !k.startsWith('wasm-function') && !k.startsWith('(root)') && !/^\(anonymous\) (node:|:)/.test(k) && !k.includes('node:internal');
  return { self: rows(self, () => true), inclusive: rows(inclusive, jsOnly), busyMs: Math.round(busy) };
}

/** The same edits on the engine in this process, no LSP: where one edit's time goes. */
async function breakdown(file: string, source: string) {
  const document = await KernelDocument.open(file, source, 1, 'cuda-cpp');
  const edits = editSequence();
  const parse: number[] = [];
  const extract: number[] = [];
  const json: number[] = [];
  let text = source;
  try {
    for (let e = 0; e < EDITS; e++) {
      const { change } = edits.next(text);
      text = applyChange(text, change);
      const t0 = performance.now();
      document.applyChanges(['range' in change ? { range: change.range, text: change.text } : { text: change.text }], e + 2);
      await document.settled();
      const t1 = performance.now();
      const kernels = document.kernels().kernels;
      const t2 = performance.now();
      JSON.stringify(kernels.map(kernelSymbol));
      JSON.stringify(kernels.map((k) => ({ range: toLspRange(k.nameRange), command: { title: 'KernelPilot: not checked yet', command: ServerCommand.recheck, arguments: [file] } })));
      const t3 = performance.now();
      parse.push(t1 - t0);
      extract.push(t2 - t1);
      json.push(t3 - t2);
      if (kernels.length !== KERNELS) throw new Error(`in-process edit ${e}: ${kernels.length} kernels`);
    }
  } finally {
    document.dispose();
  }
  return { parse: summary(parse), extract: summary(extract), json: summary(json) };
}

async function main(): Promise<number> {
  if (flags.dump) {
    writeFileSync(flags.dump, generate());
    return 0;
  }
  const dir = join(tmpdir(), `kp-bench-editor-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const profileDir = join(dir, 'profile');
  const file = join(dir, 'bench_kernels.cu');
  let text = generate();
  writeFileSync(file, text);
  const uri = uriOf(file);
  const lineCount = text.split('\n').length - 1;

  const client = await LspClient.start({
    root: dir,
    settings: { check: { onOpen: false, onSave: false } },
    nodeArgs: flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const failures: string[] = [];
  const samples: Sample[] = [];
  let openMs = 0;
  try {
    let started = performance.now();
    await client.open(uri, 'cuda-cpp', text);
    const first = (await client.symbols(uri)) as DocumentSymbol[];
    openMs = performance.now() - started;
    if (first.length !== KERNELS) throw new Error(`opening: ${first.length} symbols, expected ${KERNELS}`);

    const edits = editSequence();
    for (let e = 0; e < EDITS; e++) {
      const { k, change } = edits.next(text);
      text = applyChange(text, change);

      started = performance.now();
      await client.change(uri, [change]);
      let symbolsAt = 0;
      let lensesAt = 0;
      const [symbols, lenses] = await Promise.all([
        client.symbols(uri).then((r) => {
          symbolsAt = performance.now();
          return r as DocumentSymbol[];
        }),
        client.lenses(uri).then((r) => {
          lensesAt = performance.now();
          return r ?? [];
        }),
      ]);
      samples.push({ symbols: symbolsAt - started, lenses: lensesAt - started, both: Math.max(symbolsAt, lensesAt) - started });

      // Correct answers, not just fast ones: every kernel present; the edited one where the text says.
      if (symbols.length !== KERNELS || lenses.length !== KERNELS) failures.push(`edit ${e}: ${symbols.length} symbols, ${lenses.length} lenses`);
      const edited = symbols.find((s) => s.name === `batch_${Math.floor(k / 50)}::kernel_${k}`) ?? symbols.find((s) => s.name.endsWith(`kernel_${k}`));
      const expected = find(text, new RegExp(`(?:\\bvoid|\\))\\s+(kernel_${k})\\(`));
      if (!edited || edited.selectionRange.start.line !== expected.line || edited.selectionRange.start.character !== expected.character) {
        failures.push(`edit ${e}: kernel_${k} at ${JSON.stringify(edited?.selectionRange.start)}, expected ${JSON.stringify(expected)}`);
      }
    }
    const code = await client.stop();
    if (code !== 0) failures.push(`server exit code ${code}`);
  } catch (error) {
    failures.push(String(error));
    console.error(client.transcript());
  } finally {
    await client.dispose();
  }

  const result = {
    benchmark: 'editor',
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    server: cliPath.startsWith(repoRoot) ? cliPath.slice(repoRoot.length + 1) : cliPath,
    file: { lines: lineCount, kernels: KERNELS, bytes: Buffer.byteLength(text) },
    settings: { 'check.onOpen': false, 'check.onSave': false },
    edits: samples.length,
    openToFirstSymbolsMs: Math.round(openMs * 100) / 100,
    latencyMs: {
      documentSymbol: summary(samples.map((s) => s.symbols)),
      codeLens: summary(samples.map((s) => s.lenses)),
      both: summary(samples.map((s) => s.both)),
    },
    targetP99Ms: TARGET_P99_MS,
    metTarget: false,
    correct: failures.length === 0,
    failures: failures.slice(0, 20),
    profile: undefined as ReturnType<typeof hottest> | undefined,
    inProcessMs: undefined as Awaited<ReturnType<typeof breakdown>> | undefined,
  };
  result.metTarget = result.latencyMs.both.p99 < TARGET_P99_MS;

  if (flags.profile) {
    const profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    if (profiles.length) result.profile = hottest(join(profileDir, profiles[0]));
  }

  if (flags.breakdown) result.inProcessMs = await breakdown(file, generate());

  const row = (name: string, s: ReturnType<typeof summary>) => `${name.padEnd(16)} ${[s.p50, s.p90, s.p99, s.max, s.mean].map((x) => x.toFixed(2).padStart(8)).join(' ')}`;
  console.log(`editor latency: ${samples.length} incremental edits in a ${lineCount}-line .cu with ${KERNELS} kernels (node ${process.version}, ${result.cores} cores)`);
  console.log(`open → first documentSymbol: ${result.openToFirstSymbolsMs.toFixed(1)} ms`);
  console.log(`${'didChange → (ms)'.padEnd(16)} ${['p50', 'p90', 'p99', 'max', 'mean'].map((x) => x.padStart(8)).join(' ')}`);
  console.log(row('documentSymbol', result.latencyMs.documentSymbol));
  console.log(row('codeLens', result.latencyMs.codeLens));
  console.log(row('both', result.latencyMs.both));
  console.log(`target p99 < ${TARGET_P99_MS} ms: ${result.metTarget ? 'met' : 'MISSED'}; answers ${result.correct ? 'correct' : 'WRONG'}`);
  for (const failure of result.failures) console.log(`  ${failure}`);
  if (result.inProcessMs) {
    console.log('in-process, per edit (ms)');
    console.log(row('parse', result.inProcessMs.parse));
    console.log(row('extract', result.inProcessMs.extract));
    console.log(row('JSON', result.inProcessMs.json));
  }
  if (result.profile) {
    console.log(`server CPU profile (busy ${result.profile.busyMs} ms over open + ${samples.length} edits)`);
    console.log('  inclusive time, JS functions (wasm frames count toward their JS caller):');
    for (const p of result.profile.inclusive) console.log(`  ${String(p.ms).padStart(6)} ms ${p.percent.toFixed(1).padStart(5)}%  ${p.fn}`);
    console.log('  self time:');
    for (const p of result.profile.self.slice(0, 12)) console.log(`  ${String(p.ms).padStart(6)} ms ${p.percent.toFixed(1).padStart(5)}%  ${p.fn}`);
  }

  const out = join(repoRoot, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'editor.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${join('bench', 'results', 'editor.json')}`);
  rmSync(dir, { recursive: true, force: true });
  if (!result.correct) return 1;
  return flags.strict && !result.metTarget ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
